import Foundation
import Testing
@testable import LamplighterConfig

@Suite struct ConfigurationLoaderTests {
    static let minimal = """
        [database]
        url = "postgresql://lamplighter:s3cret@127.0.0.1:15432/lamplighter"
        [sip]
        presence_server = "sip:127.0.0.1:15060"
        """

    func load(_ text: String, environment: [String: String] = [:]) throws(ConfigurationError) -> EffectiveConfiguration {
        try ConfigurationLoader.load(toml: text, path: "test.toml", environment: environment)
    }

    func expectError(
        _ text: String, environment: [String: String] = [:], code: ConfigurationError.Code, key: String,
        mentioning fragments: [String] = [], sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            _ = try load(text, environment: environment)
            Issue.record("expected \(code) for \(key)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == code, sourceLocation: sourceLocation)
            #expect(error.key == key, sourceLocation: sourceLocation)
            for fragment in fragments {
                #expect(error.description.contains(fragment), "'\(error.description)' lacks '\(fragment)'", sourceLocation: sourceLocation)
            }
        }
    }

    @Test func appliesDefaultsAndTheFile() throws {
        let effective = try load(Self.minimal)
        let config = effective.configuration
        #expect(config.pua.hashSize == 9)
        #expect(config.pua.minExpires == 300)
        #expect(config.pua.defaultExpires == 3600)
        #expect(config.pua.updatePeriod == 30)
        #expect(config.database.table == "pua")
        #expect(config.database.url?.host == "127.0.0.1")
        #expect(config.database.url?.port == 15432)
        #expect(config.database.url?.password == "s3cret")
        #expect(config.status.listen == HostPort(host: "127.0.0.1", port: 8080))
        #expect(config.sip.listen.map(\.description) == ["udp:127.0.0.1:5070"])
        #expect(config.feeds.registrations.key == "lamplighter:registrations")
        #expect(effective.sources["database.url"] == .file(path: "test.toml", line: 2))
        #expect(effective.sources["pua.hash_size"] == nil)
    }

    @Test func environmentOverridesTheFile() throws {
        let effective = try load(Self.minimal + "\n[pua]\nhash_size = 4\n", environment: [
            "LAMPLIGHTER_PUA_HASH_SIZE": "12",
            "LAMPLIGHTER_DATABASE_URL": "postgres://u@db.example:5433/other",
            "LAMPLIGHTER_SIP_LISTEN": "udp:127.0.0.1:5071, tcp:127.0.0.1:5071",
            "LAMPLIGHTER_FEEDS_DIALOGS_ENABLED": "no",
            "LAMPLIGHTER_TEST_REDIS_URL": "ignored: test harness variable",
            "PATH": "/usr/bin",
        ])
        #expect(effective.configuration.pua.hashSize == 12)
        #expect(effective.configuration.database.url?.host == "db.example")
        #expect(effective.configuration.sip.listen.count == 2)
        #expect(effective.configuration.feeds.dialogs.enabled == false)
        #expect(effective.sources["pua.hash_size"] == .environment(name: "LAMPLIGHTER_PUA_HASH_SIZE"))
    }

    @Test func rejectsAWrongType() {
        expectError(Self.minimal + "\n[pua]\nhash_size = \"nine\"\n", code: .wrongType, key: "pua.hash_size",
                    mentioning: ["\"nine\"", "a string", "an integer from 1 to 20", "test.toml:6"])
        expectError(Self.minimal + "\n[pua]\nmin_expires = 3.5\n", code: .wrongType, key: "pua.min_expires",
                    mentioning: ["3.5", "float"])
        expectError(Self.minimal, environment: ["LAMPLIGHTER_PUA_UPDATE_PERIOD": "soon"], code: .wrongType,
                    key: "pua.update_period", mentioning: ["env LAMPLIGHTER_PUA_UPDATE_PERIOD", "\"soon\""])
        expectError(Self.document(["sip.listen": "[5070]"]), code: .wrongType, key: "sip.listen")
    }

    @Test func rejectsAnOutOfRangeHashSize() {
        expectError(Self.minimal + "\n[pua]\nhash_size = 40\n", code: .outOfRange, key: "pua.hash_size",
                    mentioning: ["got 40", "an integer from 1 to 20", "test.toml:6"])
        expectError(Self.minimal + "\n[pua]\nhash_size = 0\n", code: .outOfRange, key: "pua.hash_size")
        expectError(Self.minimal + "\n[pua]\nmin_expires = 7200\n", code: .outOfRange, key: "pua.min_expires",
                    mentioning: ["pua.default_expires (3600)"])
    }

    @Test func rejectsAnUnknownKeyWithASuggestion() {
        expectError(Self.minimal + "\n[pua]\nhash_sise = 9\n", code: .unknownKey, key: "pua.hash_sise",
                    mentioning: ["did you mean 'pua.hash_size'?", "test.toml:6"])
        expectError(Self.minimal + "\n[nonsense]\nx = 1\n", code: .unknownKey, key: "nonsense.x",
                    mentioning: ["known sections"])
        expectError(Self.minimal, environment: ["LAMPLIGHTER_PUA_HASHSIZE": "9"], code: .unknownKey,
                    key: "LAMPLIGHTER_PUA_HASHSIZE")
    }

    @Test(arguments: [
        ("mysql://u:p@h/db", "scheme 'mysql'"),
        ("postgresql//h/db", "missing '://'"),
        ("postgresql://u:p@:5432/db", "the host is missing"),
        ("postgresql://u:p@h:99999/db", "port '99999'"),
        ("postgresql://u:p@h:port/db", "port 'port'"),
        ("postgresql://u:p@h o/db", "characters a host name cannot have"),
    ])
    func rejectsAMalformedDatabaseURL(url: String, reason: String) {
        let text = "[database]\nurl = \"\(url)\"\n[sip]\npresence_server = \"sip:127.0.0.1\"\n"
        expectError(text, code: .invalidValue, key: "database.url", mentioning: [reason, "test.toml:2", "postgresql://"])
    }

    @Test func acceptsLibpqTLSOptions() throws {
        let ca = FileManager.default.temporaryDirectory.appendingPathComponent("ll-ca-\(getpid()).crt")
        try "not checked here".write(to: ca, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: ca) }
        let url = "postgresql://u:p@127.0.0.1:5432/db?sslmode=verify-full&sslrootcert=\(ca.path)&connect_timeout=3"
        let loaded = try load("[database]\nurl = \"\(url)\"\n[sip]\npresence_server = \"sip:127.0.0.1\"\n")
        #expect(loaded.configuration.database.url?.original == url, "handed to libpq as written")
        #expect(loaded.configuration.database.url?.query == "sslmode=verify-full&sslrootcert=\(ca.path)&connect_timeout=3")
    }

    @Test(arguments: [
        ("sslmode=on", "sslmode 'on' is not one of disable, allow, prefer, require, verify-ca, verify-full"),
        ("sslmod=require", "unknown option 'sslmod'"),
        ("sslmode=verify-full", "give the CA file"),
        ("sslmode=verify-ca&sslrootcert=/nonexistent/ca.crt", "sslrootcert '/nonexistent/ca.crt' is not a readable file"),
        ("sslmode=require&sslmode=disable", "option 'sslmode' given twice"),
        ("connect_timeout=soon", "connect_timeout 'soon'"),
        ("sslmode", "is not name=value"),
    ])
    func rejectsBadLibpqOptions(query: String, reason: String) {
        let text = "[database]\nurl = \"postgresql://u:p@127.0.0.1/db?\(query)\"\n[sip]\npresence_server = \"sip:127.0.0.1\"\n"
        expectError(text, code: .invalidValue, key: "database.url", mentioning: [reason, "test.toml:2", "sslmode"])
    }

    @Test func neverShowsThePasswordOfAMalformedURL() {
        do {
            _ = try load("[database]\nurl = \"postgresql://u:hunter2@h:bad/db\"\n")
            Issue.record("accepted a malformed URL")
        } catch {
            #expect(!error.description.contains("hunter2"), "\(error)")
            #expect(error.description.contains("u:****@h:bad"), "\(error)")
        }
    }

    @Test func rejectsMissingRequiredKeys() {
        expectError("[sip]\npresence_server = \"sip:127.0.0.1\"\n", code: .missingKey, key: "database.url",
                    mentioning: ["LAMPLIGHTER_DATABASE_URL"])
        expectError("[database]\nurl = \"postgresql://h/db\"\n", code: .missingKey, key: "sip.presence_server")
        expectError(Self.minimal + "\n[sip.auth]\nusername = \"1001\"\n", code: .missingKey, key: "sip.auth.password")
    }

    @Test(arguments: [
        ("sip.presence_server", "\"http://127.0.0.1\""),
        ("sip.presence_server", "\"sip:127.0.0.1:70000\""),
        ("sip.presence_server", "\"sip:127.0.0.1;transport=sctp\""),
        ("sip.outbound_proxy", "\"sip:\""),
        ("sip.listen", "[\"udp:127.0.0.1\"]"),
        ("sip.listen", "[\"ws:127.0.0.1:80\"]"),
        ("sip.listen", "[]"),
        ("sip.listen", "[\"udp:127.0.0.1:5070\", \"udp:127.0.0.1:5070\"]"),
        ("status.listen", "\"127.0.0.1\""),
        ("status.admin_token", "\"short\""),
        ("database.table", "\"pua; DROP TABLE pua\""),
        ("log.level", "\"verbose\""),
        ("feeds.dialogs.mode", "\"kafka\""),
        ("redis.url", "\"rediss://127.0.0.1\""),
        ("cluster.sharing_tag", "\"has space\""),
        ("cluster.backup_tags", "[\"ok\", \"not ok\"]"),
        ("sip.tls.ca_file", "\"/nonexistent/ca.pem\""),
        ("sip.udp_receive_buffer", "1024"),
        ("sip.max_transactions", "0"),
        ("sip.nameserver", "\"8.8.8.8\""),
        ("memory.trim_interval", "-1"),
        ("memory.trim_interval", "3601"),
        ("memory.arenas", "65"),
    ])
    func rejectsInvalidValues(key: String, value: String) {
        let document = Self.document([key: value])
        do {
            _ = try load(document)
            Issue.record("accepted \(key) = \(value)")
        } catch {
            #expect(error.key == key, "\(error)")
            #expect(error.code == .invalidValue || error.code == .outOfRange, "\(error)")
            #expect(error.allowed != nil, "\(error) does not say what is allowed")
        }
    }

    @Test func memoryIsTrimmedEveryMinuteUnlessToldOtherwise() throws {
        #expect(try load(Self.document([:])).configuration.memory.trimInterval == 60)
        #expect(try load(Self.document(["memory.trim_interval": "0"])).configuration.memory.trimInterval == 0)
        #expect(try load(Self.document(["memory.trim_interval": "5"])).configuration.memory.trimInterval == 5)
        #expect(try load(Self.document([:])).configuration.memory.arenas == 2)
        #expect(try load(Self.document(["memory.arenas": "0"])).configuration.memory.arenas == 0)
    }

    @Test func aClusterWritesTheStoreOftenUnlessToldOtherwise() throws {
        #expect(try load(Self.document([:])).configuration.pua.updatePeriod == 30)
        let clustered = try load(Self.document(["cluster.id": "7", "cluster.sharing_tag": "\"a\"", "cluster.backup_tags": "[\"b\", \"c\"]"]))
        #expect(clustered.configuration.pua.updatePeriod == 2)
        #expect(clustered.configuration.cluster.backupTags == ["b", "c"])
        #expect(try load(Self.document(["cluster.id": "7", "pua.update_period": "5"])).configuration.pua.updatePeriod == 5)
    }

    @Test(arguments: ["cluster.sharing_tag", "cluster.backup_tags"])
    func tagsNeedAClusterID(key: String) {
        let value = key == "cluster.sharing_tag" ? "\"a\"" : "[\"b\"]"
        do {
            _ = try load(Self.document([key: value]))
            Issue.record("accepted \(key) without cluster.id")
        } catch {
            #expect(error.code == .missingKey && error.key == "cluster.id", "\(error)")
            #expect((error.detail ?? "").contains(key) && error.source.hasPrefix("test.toml:"), "names the key and where it was set: \(error)")
        }
    }

    /// A valid document with `overrides` (dotted key to TOML literal) merged in, grouped in sections.
    static func document(_ overrides: [String: String]) -> String {
        var values = [
            "database.url": "\"postgresql://lamplighter:s3cret@127.0.0.1:15432/lamplighter\"",
            "sip.presence_server": "\"sip:127.0.0.1:15060\"",
        ]
        values.merge(overrides) { $1 }
        var sections: [String: [String]] = [:]
        for (key, value) in values {
            let parts = key.split(separator: ".")
            sections[parts.dropLast().joined(separator: "."), default: []].append("\(parts.last!) = \(value)")
        }
        return sections.keys.sorted().map { "[\($0)]\n" + sections[$0]!.sorted().joined(separator: "\n") }.joined(separator: "\n") + "\n"
    }

    @Test func tlsListenersNeedACertificate() {
        expectError(Self.document(["sip.listen": "[\"tls:127.0.0.1:5071\"]"]), code: .missingKey, key: "sip.tls.certificate_file")
        expectError(Self.document(["sip.tls.certificate_file": "\"/etc/hostname\""]), code: .missingKey, key: "sip.tls.private_key_file")
    }

    @Test func readsSIPTransportSettings() throws {
        let config = try load(Self.document([
            "sip.udp_receive_buffer": "8388608", "sip.max_transactions": "100", "sip.nameserver": "\"127.0.0.1:5353\"",
            "sip.tls.ca_file": "\"/etc/hostname\"", "sip.tls.verify_peer": "false",
        ])).configuration
        #expect(config.sip.udpReceiveBuffer == 8_388_608)
        #expect(config.sip.udpSendBuffer == 4 << 20)
        #expect(config.sip.maxTransactions == 100)
        #expect(config.sip.nameserver == HostPort(host: "127.0.0.1", port: 5353))
        #expect(config.sip.tls.caFile == "/etc/hostname")
        #expect(config.sip.tls.verifyPeer == false)
    }

    @Test func reportsSyntaxErrorsWithTheirPlace() {
        do {
            _ = try load("[pua]\nhash_size = = 9\n")
            Issue.record("accepted broken TOML")
        } catch {
            #expect(error.code == .syntax)
            #expect(error.source == "test.toml:2:13")
        }
    }

    @Test func reportsAnUnreadableFile() {
        do {
            _ = try ConfigurationLoader.load(path: "/nonexistent/lamplighter.toml", environment: [:])
            Issue.record("read a missing file")
        } catch {
            #expect(error.code == .unreadableFile)
            #expect(error.source == "/nonexistent/lamplighter.toml")
        }
    }

    @Test func rendersTheEffectiveConfigurationWithSecretsMasked() throws {
        let effective = try load(Self.minimal + """

            [sip.auth]
            username = "1001"
            password = "pa55word"
            [status]
            admin_token = "0123456789abcdef-token"
            [redis]
            url = "redis://:redispass@127.0.0.1:16379/2"
            """)
        let text = effective.rendered()
        for secret in ["s3cret", "pa55word", "0123456789abcdef-token", "redispass"] {
            #expect(!text.contains(secret), "rendered configuration shows \(secret)")
        }
        #expect(text.contains("url = \"postgresql://lamplighter:****@127.0.0.1:15432/lamplighter\"  # test.toml:2"))
        #expect(text.contains("password = \"****\""))
        #expect(text.contains("hash_size = 9  # default"))
        #expect(text.contains("# id is not set"))
        #expect(effective.configuration.redis.url.password == "redispass")
        #expect(effective.configuration.redis.url.path == "2")
    }

    @Test func masksURLPasswordsInText() {
        #expect(ConfigurationLoader.maskingURLPasswords("\"postgresql://a:b@h/db\"") == "\"postgresql://a:****@h/db\"")
        #expect(ConfigurationLoader.maskingURLPasswords("redis://:pw@h:1 and postgres://u@h") == "redis://:****@h:1 and postgres://u@h")
        #expect(ConfigurationLoader.maskingURLPasswords("no url") == "no url")
    }

    @Test func everyKeyHasADistinctEnvironmentVariable() {
        let names = ConfigurationSchema.keys.map(\.environmentName)
        #expect(Set(names).count == names.count)
        #expect(names.contains("LAMPLIGHTER_DATABASE_URL"))
        #expect(names.contains("LAMPLIGHTER_SIP_AUTH_PASSWORD"))
    }

    @Test func theShippedDeployConfigurationIsValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let effective = try ConfigurationLoader.load(path: root.appendingPathComponent("deploy/lamplighter.toml").path, environment: [:])
        #expect(effective.configuration.sip.presenceServer == "sip:127.0.0.1:15060")
        #expect(effective.configuration.status.listen.isLoopback)
    }
}
