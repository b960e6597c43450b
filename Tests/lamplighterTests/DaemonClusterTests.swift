import Foundation
import LamplighterTestSupport
import PUAStore
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Two daemons as one cluster on one machine (their own SIP and status ports) over the test PostgreSQL, Redis
/// and Kamailio: node B updates what node A published with the stored ETag (no 412); A is killed with -9 and
/// B takes its tag and keeps A's publications alive at the presence server past their original expiry; A comes
/// back as a backup and neither steals the tag nor refreshes.
@Suite(.serialized) struct DaemonClusterTests {
    static let token = "cluster-test-token-0123456789"

    struct Node {
        let name: String
        let tag: String
        let backup: String
        let sipPort: Int
        let statusPort: Int
        let daemon: LamplighterDaemon
    }

    static func configuration(cluster: Int, table: String, name: String, tag: String, backup: String, sipPort: Int, statusPort: Int) -> String {
        """
        [pua]
        min_expires = 60
        default_expires = 60

        [database]
        url = "\(TestServices.databaseURL)"
        table = "\(table)"

        [cluster]
        id = \(cluster)
        node = "\(name)"
        sharing_tag = "\(tag)"
        backup_tags = ["\(backup)"]

        [sip]
        listen = ["udp:127.0.0.1:\(sipPort)"]
        presence_server = "\(TestServices.kamailioURI)"

        [redis]
        url = "\(TestServices.redisURL)"

        [feeds.registrations]
        enabled = false

        [feeds.dialogs]
        enabled = false

        [feeds.mwi]
        enabled = false

        [status]
        listen = "127.0.0.1:\(statusPort)"
        admin_token = "\(token)"

        [log]
        level = "debug"
        """
    }

    static func publish(_ node: Node, _ aor: String, _ basic: String) async throws -> Int {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(node.statusPort)/publish")!)
        request.httpMethod = "POST"
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let body = #"<?xml version=\"1.0\"?><presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"\#(aor)\"><tuple id=\"t\"><status><basic>\#(basic)</basic></status></tuple></presence>"#
        request.httpBody = Data(#"{"pres_uri":"\#(aor)","event":"presence","body":"\#(body)","content_type":"application/pidf+xml","expires":60}"#.utf8)
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    static func metric(_ node: Node, _ series: String) async throws -> Double {
        StatusEndpointTests.sample(try await StatusEndpointTests.get(node.statusPort, "/metrics").1, series)
    }

    /// The cluster section of a node's /status.
    static func cluster(_ node: Node) async throws -> [String: Any] {
        let (_, body) = try await StatusEndpointTests.get(node.statusPort, "/status")
        let document = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        return document?["cluster"] as? [String: Any] ?? [:]
    }

    static func holder(of tag: String, at node: Node) async throws -> String? {
        let tags = try await cluster(node)["tags"] as? [[String: Any]] ?? []
        return tags.first { $0["tag"] as? String == tag }?["holder"] as? String
    }

    /// Kamailio's rows for `user` (presence): body and expiry (Unix seconds).
    static func rows(_ user: String, _ kamailio: PostgresConnection) async throws -> [(body: String, expires: Int)] {
        try await kamailio.query(
            "SELECT convert_from(body, 'UTF8'), expires FROM presentity WHERE username = $1 AND event = 'presence'", [user]
        ).rows.map { ($0[0] ?? "", Int($0[1] ?? "") ?? 0) }
    }

    @Test func nodesShareUpdatesAndABackupKeepsADeadNodesLampsAlive() async throws {
        let prefix = UniqueNames.make("cl")
        let table = "pua_\(prefix)"
        let clusterID = Int.random(in: 1000...60_000)
        let database = try await TestServices.postgres()
        try await database.executeScript("CREATE TABLE \(table) (LIKE pua INCLUDING ALL)")
        let kamailio = try await TestServices.postgres(url: TestServices.kamailioDatabaseURL)
        defer {
            Task {
                try? await database.executeScript("DROP TABLE \(table)")
                await database.close()
                await kamailio.close()
            }
        }
        func node(_ name: String, tag: String, backup: String) throws -> Node {
            let (sip, status) = (try FreePort.udp(), try FreePort.tcp())
            return Node(name: "\(prefix)-\(name)", tag: tag, backup: backup, sipPort: sip, statusPort: status, daemon: try LamplighterDaemon(
                name: "\(prefix)-\(name)",
                configuration: Self.configuration(cluster: clusterID, table: table, name: "\(prefix)-\(name)", tag: tag, backup: backup, sipPort: sip, statusPort: status)))
        }
        let a = try node("a", tag: "\(prefix)-ta", backup: "\(prefix)-tb")
        let b = try node("b", tag: "\(prefix)-tb", backup: "\(prefix)-ta")
        try await a.daemon.start()
        try await b.daemon.start()
        #expect(try await DaemonRecoveryTests.eventually(.seconds(10)) {
            let first = try await Self.holder(of: a.tag, at: b)
            let second = try await Self.holder(of: b.tag, at: a)
            return first == a.name && second == b.name
        }, "each node holds its own tag")

        // Published through A; updated through B with the ETag A got (B heard it, or finds it in the store).
        let users = (0..<3).map { "\(prefix)u\($0)" }
        for user in users { #expect(try await Self.publish(a, "sip:\(user)@127.0.0.1", "open") == 202) }
        #expect(try await DaemonRecoveryTests.eventually(.seconds(10)) {
            try await Self.metric(a, #"lamplighter_publish_succeeded_total"#) >= 3
        })
        #expect(try await Self.publish(b, "sip:\(users[0])@127.0.0.1", "closed") == 202)
        let modified = try await DaemonRecoveryTests.eventually(.seconds(10)) {
            let rows = try await Self.rows(users[0], kamailio)
            return rows.count == 1 && rows[0].body.contains("<basic>closed</basic>")
        }
        let rowsNow = try await Self.rows(users[0], kamailio)
        #expect(modified, "one row at Kamailio, modified: \(rowsNow)")
        #expect(try await Self.metric(b, #"lamplighter_publish_replies_total{code="412"}"#) == 0)
        #expect(try await Self.metric(b, #"lamplighter_publish_sent_total{kind="initial"}"#) == 0, "no second publication")
        let nodes = try await Self.cluster(a)["nodes"] as? [[String: Any]] ?? []
        #expect(Set(nodes.compactMap { $0["node"] as? String }).isSuperset(of: [a.name, b.name]), "\(nodes)")

        // A dies. B takes its tag and refreshes A's publications before they expire at Kamailio.
        let before = try await users.asyncMap { try await Self.rows($0, kamailio).first?.expires ?? 0 }
        try await a.daemon.kill()
        #expect(try await DaemonRecoveryTests.eventually(.seconds(10)) { try await Self.holder(of: a.tag, at: b) == b.name })
        #expect(try await DaemonRecoveryTests.eventually(.seconds(70)) {
            let now = try await users.asyncMap { try await Self.rows($0, kamailio).first?.expires ?? 0 }
            return zip(before, now).allSatisfy { $0 < $1 }
        }, "every expiry at Kamailio moved past the original: \(before)")
        for user in users { #expect(try await Self.rows(user, kamailio).count == 1, "still one row for \(user)") }
        #expect(try await Self.metric(b, #"lamplighter_publish_sent_total{kind="refresh"}"#) >= 3)
        // `lamplighter status` shows who holds what.
        let statusTable = try await StatusEndpointTests.runStatus(["--url", "http://127.0.0.1:\(b.statusPort)"])
        let tagLines = statusTable.stdout.split(separator: "\n").filter { $0.hasPrefix(a.tag) || $0.hasPrefix(b.tag) }
        #expect(tagLines.count == 2 && tagLines.allSatisfy { $0.hasSuffix(b.name) }, "\(statusTable.stdout)")
        #expect(try await Self.metric(b, #"lamplighter_publish_replies_total{code="412"}"#) == 0)

        // A comes back as a backup: B keeps the tag, A sends nothing.
        try await a.daemon.start()
        try await Task.sleep(for: .seconds(3))
        #expect(try await Self.holder(of: a.tag, at: a) == b.name, "no stealing")
        #expect(try await Self.metric(a, #"lamplighter_publish_sent_total{kind="refresh"}"#) == 0)
        #expect(try await Self.metric(a, #"lamplighter_publish_sent_total{kind="initial"}"#) == 0, "no double refresh or re-publication")
        await a.daemon.stop()
        await b.daemon.stop()
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
