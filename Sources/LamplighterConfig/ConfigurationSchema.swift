import Foundation

/// Every key Lamplighter reads, in the order `check-config` shows them.
enum ConfigurationSchema {
    typealias Config = LamplighterConfiguration

    static let keys: [ConfigurationKey] = [
        integer("pua.hash_size", 1...20, "log2 of the presentity table's bucket count (9 = 512 buckets)", \.pua.hashSize),
        integer("pua.min_expires", 1...86_400, "lowest Expires sent in a PUBLISH, seconds", \.pua.minExpires),
        integer("pua.default_expires", 1...604_800, "Expires when an update asks for none, seconds", \.pua.defaultExpires),
        integer("pua.update_period", 1...3_600, "how often changed publications and subscriptions are written to the store, seconds (default 30; 2 in a cluster)", \.pua.updatePeriod),
        boolean("pua.update_contact", "a NOTIFY's Contact becomes the target of the next in-dialog SUBSCRIBE (pua_update_contact)", \.pua.updateContact),
        serviceURL("database.url", schemes: ["postgresql", "postgres"], required: true,
                   "PostgreSQL URL, postgresql://user:password@host:port/dbname", \.database.url),
        identifier("database.table", "the publication table", \.database.table),
        optionalInteger("cluster.id", 1...65_535, "cluster id; unset runs the node alone", \.cluster.id),
        optionalToken("cluster.sharing_tag", "sharing tag this node publishes for", \.cluster.sharingTag),
        optionalToken("cluster.node", "this node's name in the store (rows it writes and recovers); default: the host name", \.cluster.node),
        ConfigurationKey(
            path: "cluster.backup_tags", kind: .stringArray, secret: false, required: false,
            help: "sharing tags this node takes over when no other node holds them",
            apply: { (config: inout Config, raw) throws(ConfigurationKeyRejection) in
                guard case .strings(let tags) = raw else { preconditionFailure("kind checked before apply") }
                for tag in tags {
                    guard !tag.isEmpty, tag.count <= 64,
                          tag.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_./".contains($0)) }) else {
                        throw ConfigurationKeyRejection(
                            code: .invalidValue, allowed: "tags of 1 to 64 characters of a-z, A-Z, 0-9, - _ . /", detail: "'\(tag)' is not one")
                    }
                }
                config.cluster.backupTags = tags
            },
            render: { $0.cluster.backupTags.isEmpty ? nil : .strings($0.cluster.backupTags) }
        ),
        ConfigurationKey(
            path: "sip.listen", kind: .stringArray, secret: false, required: false,
            help: "local SIP sockets, transport:host:port",
            apply: { (config: inout Config, raw) throws(ConfigurationKeyRejection) in
                guard case .strings(let texts) = raw else { preconditionFailure("kind checked before apply") }
                let allowed = "a non-empty array of \"udp|tcp|tls:host:port\" strings"
                guard !texts.isEmpty else { throw ConfigurationKeyRejection(code: .invalidValue, allowed: allowed) }
                var addresses: [SIPListenAddress] = []
                for text in texts {
                    guard let address = SIPListenAddress(parsing: text) else {
                        throw ConfigurationKeyRejection(code: .invalidValue, allowed: allowed, detail: "'\(text)' is not transport:host:port")
                    }
                    addresses.append(address)
                }
                config.sip.listen = addresses
            },
            render: { .strings($0.sip.listen.map(\.description)) }
        ),
        sipURI("sip.presence_server", required: true, "the presence server, e.g. sip:127.0.0.1:5060", \.sip.presenceServer),
        sipURI("sip.outbound_proxy", required: false, "next hop for every request instead of the presence server", \.sip.outboundProxy),
        ConfigurationKey(
            path: "sip.user_agent", kind: .string, secret: false, required: false, help: "User-Agent header",
            apply: { (config: inout Config, raw) throws(ConfigurationKeyRejection) in
                guard case .string(let text) = raw else { preconditionFailure("kind checked before apply") }
                guard !text.isEmpty, text.count <= 128, text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) else {
                    throw ConfigurationKeyRejection(code: .invalidValue, allowed: "1 to 128 printable ASCII characters")
                }
                config.sip.userAgent = text
            },
            render: { .string($0.sip.userAgent) }
        ),
        optionalString("sip.auth.username", secret: false, "digest user name", \.sip.auth.username),
        optionalString("sip.auth.password", secret: true, "digest password (masked when shown)", \.sip.auth.password),
        optionalString("sip.auth.realm", secret: false, "answer only challenges of this realm", \.sip.auth.realm),
        optionalFile("sip.tls.ca_file", "PEM file of trusted CAs; unset uses the system trust store", \.sip.tls.caFile),
        optionalFile("sip.tls.certificate_file", "PEM certificate for TLS listeners", \.sip.tls.certificateFile),
        optionalFile("sip.tls.private_key_file", "PEM private key of the certificate", \.sip.tls.privateKeyFile),
        boolean("sip.tls.verify_peer", "verify server certificates and names (keep on)", \.sip.tls.verifyPeer),
        integer("sip.udp_receive_buffer", 65_536...268_435_456, "SO_RCVBUF of UDP sockets, bytes", \.sip.udpReceiveBuffer),
        integer("sip.udp_send_buffer", 65_536...268_435_456, "SO_SNDBUF of UDP sockets, bytes", \.sip.udpSendBuffer),
        integer("sip.max_transactions", 1...1_000_000, "client transactions in flight; more wait", \.sip.maxTransactions),
        ConfigurationKey(
            path: "sip.nameserver", kind: .string, secret: false, required: false,
            help: "DNS server for SRV/A lookups, host:port; unset uses /etc/resolv.conf",
            apply: { (config: inout Config, raw) throws(ConfigurationKeyRejection) in
                guard case .string(let text) = raw else { preconditionFailure("kind checked before apply") }
                guard let address = HostPort(parsing: text) else {
                    throw ConfigurationKeyRejection(code: .invalidValue, allowed: "host:port with a port from 1 to 65535")
                }
                config.sip.nameserver = address
            },
            render: { $0.sip.nameserver.map { .string($0.description) } }
        ),
        serviceURL("redis.url", schemes: ["redis"], required: false, "Redis URL, redis://[:password@]host:port[/db]", \.redis.url),
        boolean("feeds.registrations.enabled", "read the registrations feed", \.feeds.registrations.enabled),
        feedMode("feeds.registrations.mode", \.feeds.registrations.mode),
        nonEmpty("feeds.registrations.key", "channel or stream key of the registrations feed", \.feeds.registrations.key),
        boolean("feeds.dialogs.enabled", "read the dialogs feed", \.feeds.dialogs.enabled),
        feedMode("feeds.dialogs.mode", \.feeds.dialogs.mode),
        nonEmpty("feeds.dialogs.key", "channel or stream key of the dialogs feed", \.feeds.dialogs.key),
        boolean("feeds.mwi.enabled", "read the message-waiting feed", \.feeds.mwi.enabled),
        feedMode("feeds.mwi.mode", \.feeds.mwi.mode),
        nonEmpty("feeds.mwi.key", "channel or stream key of the message-waiting feed", \.feeds.mwi.key),
        nonEmpty("feeds.consumer_group", "consumer group for stream feeds", \.feeds.consumerGroup),
        boolean("feeds.dialog_info.include_callid", "call-id attribute on each dialog", \.feeds.dialogInfo.includeCallID),
        boolean("feeds.dialog_info.include_tags", "local-tag and remote-tag attributes", \.feeds.dialogInfo.includeTags),
        boolean("feeds.dialog_info.include_localremote", "local and remote identities and targets", \.feeds.dialogInfo.includeLocalRemote),
        boolean("feeds.dialog_info.publish_caller", "publish the caller's dialogs", \.feeds.dialogInfo.publishCaller),
        boolean("feeds.dialog_info.publish_callee", "publish the callee's dialogs", \.feeds.dialogInfo.publishCallee),
        boolean("feeds.dialog_info.publish_on_trying", "publish dialogs already in the trying state", \.feeds.dialogInfo.publishOnTrying),
        optionalInteger("feeds.dialog_info.override_lifetime", 10...86_400, "lifetime of dialog publications, seconds", \.feeds.dialogInfo.overrideLifetime),
        integer("feeds.dialog_info.stuck_after", 10...86_400, "end dialogs stuck before confirmed after this many seconds", \.feeds.dialogInfo.stuckAfter),
        ConfigurationKey(
            path: "status.listen", kind: .string, secret: false, required: false,
            help: "status endpoint address, host:port (loopback by default)",
            apply: { (config: inout Config, raw) throws(ConfigurationKeyRejection) in
                guard case .string(let text) = raw else { preconditionFailure("kind checked before apply") }
                guard let address = HostPort(parsing: text) else {
                    throw ConfigurationKeyRejection(code: .invalidValue, allowed: "host:port with a port from 1 to 65535")
                }
                config.status.listen = address
            },
            render: { .string($0.status.listen.description) }
        ),
        ConfigurationKey(
            path: "status.admin_token", kind: .string, secret: true, required: false,
            help: "bearer token of the admin API (masked when shown); unset disables the admin API",
            apply: { (config: inout Config, raw) throws(ConfigurationKeyRejection) in
                guard case .string(let text) = raw else { preconditionFailure("kind checked before apply") }
                guard text.count >= 16, text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
                    throw ConfigurationKeyRejection(code: .invalidValue, allowed: "at least 16 printable ASCII characters without spaces")
                }
                config.status.adminToken = text
            },
            render: { $0.status.adminToken.map { .string($0) } }
        ),
        integer("memory.arenas", 0...64, "most malloc arenas (M_ARENA_MAX; MALLOC_ARENA_MAX in the environment wins); 0 keeps glibc's default", \.memory.arenas),
        integer("memory.trim_interval", 0...3_600, "seconds between returns of freed heap pages to the kernel (malloc_trim); 0 never", \.memory.trimInterval),
        ConfigurationKey(
            path: "log.level", kind: .string, secret: false, required: false, help: "lowest level logged",
            apply: { (config: inout Config, raw) throws(ConfigurationKeyRejection) in
                guard case .string(let text) = raw else { preconditionFailure("kind checked before apply") }
                guard let level = Config.Log.Level(rawValue: text) else {
                    throw ConfigurationKeyRejection(
                        code: .invalidValue, allowed: Config.Log.Level.allCases.map(\.rawValue).joined(separator: ", "))
                }
                config.log.level = level
            },
            render: { .string($0.log.level.rawValue) }
        ),
    ]

    static let byPath: [String: ConfigurationKey] = Dictionary(uniqueKeysWithValues: keys.map { ($0.path, $0) })

    // MARK: - Key builders

    private static func integer(
        _ path: String, _ range: ClosedRange<Int64>, _ help: String, _ field: WritableKeyPath<Config, Int> & Sendable
    ) -> ConfigurationKey {
        ConfigurationKey(
            path: path, kind: .integer(range), secret: false, required: false, help: help,
            apply: { (config: inout Config, raw) throws(ConfigurationKeyRejection) in
                guard case .integer(let number) = raw else { preconditionFailure("kind checked before apply") }
                config[keyPath: field] = Int(number)
            },
            render: { .integer(Int64($0[keyPath: field])) }
        )
    }

    private static func optionalInteger(
        _ path: String, _ range: ClosedRange<Int64>, _ help: String, _ field: WritableKeyPath<Config, Int?> & Sendable
    ) -> ConfigurationKey {
        ConfigurationKey(
            path: path, kind: .integer(range), secret: false, required: false, help: help,
            apply: { (config: inout Config, raw) throws(ConfigurationKeyRejection) in
                guard case .integer(let number) = raw else { preconditionFailure("kind checked before apply") }
                config[keyPath: field] = Int(number)
            },
            render: { $0[keyPath: field].map { .integer(Int64($0)) } }
        )
    }

    private static func boolean(
        _ path: String, _ help: String, _ field: WritableKeyPath<Config, Bool> & Sendable
    ) -> ConfigurationKey {
        ConfigurationKey(
            path: path, kind: .boolean, secret: false, required: false, help: help,
            apply: { (config: inout Config, raw) throws(ConfigurationKeyRejection) in
                guard case .boolean(let flag) = raw else { preconditionFailure("kind checked before apply") }
                config[keyPath: field] = flag
            },
            render: { .boolean($0[keyPath: field]) }
        )
    }

    private static func nonEmpty(
        _ path: String, _ help: String, _ field: WritableKeyPath<Config, String> & Sendable
    ) -> ConfigurationKey {
        ConfigurationKey(
            path: path, kind: .string, secret: false, required: false, help: help,
            apply: { (config: inout Config, raw) throws(ConfigurationKeyRejection) in
                guard case .string(let text) = raw else { preconditionFailure("kind checked before apply") }
                guard !text.isEmpty, text.count <= 256, !text.contains(where: \.isWhitespace) else {
                    throw ConfigurationKeyRejection(code: .invalidValue, allowed: "1 to 256 characters without spaces")
                }
                config[keyPath: field] = text
            },
            render: { .string($0[keyPath: field]) }
        )
    }

    private static func identifier(
        _ path: String, _ help: String, _ field: WritableKeyPath<Config, String> & Sendable
    ) -> ConfigurationKey {
        ConfigurationKey(
            path: path, kind: .string, secret: false, required: false, help: help,
            apply: { (config: inout Config, raw) throws(ConfigurationKeyRejection) in
                guard case .string(let text) = raw else { preconditionFailure("kind checked before apply") }
                let valid = !text.isEmpty && text.count <= 63 && text.first.map { $0 == "_" || ($0.isASCII && $0.isLetter) } == true
                    && text.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLowercase || $0.isNumber)) }
                guard valid else {
                    throw ConfigurationKeyRejection(
                        code: .invalidValue, allowed: "a lower-case SQL identifier: a-z, 0-9 and _, at most 63, not starting with a digit")
                }
                config[keyPath: field] = text
            },
            render: { .string($0[keyPath: field]) }
        )
    }

    private static func optionalString(
        _ path: String, secret: Bool, _ help: String, _ field: WritableKeyPath<Config, String?> & Sendable
    ) -> ConfigurationKey {
        ConfigurationKey(
            path: path, kind: .string, secret: secret, required: false, help: help,
            apply: { (config: inout Config, raw) throws(ConfigurationKeyRejection) in
                guard case .string(let text) = raw else { preconditionFailure("kind checked before apply") }
                guard !text.isEmpty, text.count <= 256, !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                    throw ConfigurationKeyRejection(code: .invalidValue, allowed: "1 to 256 characters, no control characters")
                }
                config[keyPath: field] = text
            },
            render: { $0[keyPath: field].map { .string($0) } }
        )
    }

    private static func optionalFile(
        _ path: String, _ help: String, _ field: WritableKeyPath<Config, String?> & Sendable
    ) -> ConfigurationKey {
        ConfigurationKey(
            path: path, kind: .string, secret: false, required: false, help: help,
            apply: { (config: inout Config, raw) throws(ConfigurationKeyRejection) in
                guard case .string(let text) = raw else { preconditionFailure("kind checked before apply") }
                guard FileManager.default.isReadableFile(atPath: text) else {
                    throw ConfigurationKeyRejection(code: .invalidValue, allowed: "the path of a readable file", detail: "cannot read '\(text)'")
                }
                config[keyPath: field] = text
            },
            render: { $0[keyPath: field].map { .string($0) } }
        )
    }

    private static func optionalToken(
        _ path: String, _ help: String, _ field: WritableKeyPath<Config, String?> & Sendable
    ) -> ConfigurationKey {
        ConfigurationKey(
            path: path, kind: .string, secret: false, required: false, help: help,
            apply: { (config: inout Config, raw) throws(ConfigurationKeyRejection) in
                guard case .string(let text) = raw else { preconditionFailure("kind checked before apply") }
                guard !text.isEmpty, text.count <= 64,
                      text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_./".contains($0)) }) else {
                    throw ConfigurationKeyRejection(code: .invalidValue, allowed: "1 to 64 characters of a-z, A-Z, 0-9, - _ . /")
                }
                config[keyPath: field] = text
            },
            render: { $0[keyPath: field].map { .string($0) } }
        )
    }

    private static func feedMode(
        _ path: String, _ field: WritableKeyPath<Config, Config.FeedMode> & Sendable
    ) -> ConfigurationKey {
        ConfigurationKey(
            path: path, kind: .string, secret: false, required: false,
            help: "pubsub (SUBSCRIBE) or stream (XREADGROUP, at-least-once)",
            apply: { (config: inout Config, raw) throws(ConfigurationKeyRejection) in
                guard case .string(let text) = raw else { preconditionFailure("kind checked before apply") }
                guard let mode = Config.FeedMode(rawValue: text) else {
                    throw ConfigurationKeyRejection(code: .invalidValue, allowed: "pubsub, stream")
                }
                config[keyPath: field] = mode
            },
            render: { .string($0[keyPath: field].rawValue) }
        )
    }

    private static func parseURL(_ raw: ConfigurationKey.RawValue, schemes: Set<String>) throws(ConfigurationKeyRejection) -> ServiceURL {
        guard case .string(let text) = raw else { preconditionFailure("kind checked before apply") }
        let allowed = "a URL \(schemes.sorted().map { "\($0)://" }.joined(separator: " or "))[user[:password]@]host[:port][/name][?options]"
        let url: ServiceURL
        do {
            url = try ServiceURL(parsing: text, schemes: schemes)
        } catch {
            throw ConfigurationKeyRejection(code: .invalidValue, allowed: allowed, detail: error.reason)
        }
        if ["postgresql", "postgres"].contains(url.scheme), let problem = PostgresURLOptions.problem(in: url.query) {
            throw ConfigurationKeyRejection(code: .invalidValue, allowed: allowed + " with libpq options such as sslmode", detail: problem)
        }
        return url
    }

    private static func serviceURL(
        _ path: String, schemes: Set<String>, required: Bool, _ help: String,
        _ field: WritableKeyPath<Config, ServiceURL?> & Sendable
    ) -> ConfigurationKey {
        ConfigurationKey(
            path: path, kind: .string, secret: false, required: required, help: help,
            apply: { (config: inout Config, raw) throws(ConfigurationKeyRejection) in
                config[keyPath: field] = try parseURL(raw, schemes: schemes)
            },
            render: { $0[keyPath: field].map { .string($0.masked) } }
        )
    }

    private static func serviceURL(
        _ path: String, schemes: Set<String>, required: Bool, _ help: String,
        _ field: WritableKeyPath<Config, ServiceURL> & Sendable
    ) -> ConfigurationKey {
        ConfigurationKey(
            path: path, kind: .string, secret: false, required: required, help: help,
            apply: { (config: inout Config, raw) throws(ConfigurationKeyRejection) in
                config[keyPath: field] = try parseURL(raw, schemes: schemes)
            },
            render: { .string($0[keyPath: field].masked) }
        )
    }

    private static func sipURI(
        _ path: String, required: Bool, _ help: String, _ field: WritableKeyPath<Config, String?> & Sendable
    ) -> ConfigurationKey {
        ConfigurationKey(
            path: path, kind: .string, secret: false, required: required, help: help,
            apply: { (config: inout Config, raw) throws(ConfigurationKeyRejection) in
                guard case .string(let text) = raw else { preconditionFailure("kind checked before apply") }
                if let problem = SIPURIShape.problem(in: text) {
                    throw ConfigurationKeyRejection(
                        code: .invalidValue, allowed: "a SIP URI such as sip:127.0.0.1:5060;transport=tcp", detail: problem)
                }
                config[keyPath: field] = text
            },
            render: { $0[keyPath: field].map { .string($0) } }
        )
    }
}
