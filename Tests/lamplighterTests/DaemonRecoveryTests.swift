import Foundation
import LamplighterTestSupport
import Feeds
import PUAStore
import Testing

/// The daemon's state across a crash, on the real Redis, PostgreSQL and Kamailio: registration events arrive on a
/// Redis Stream, the daemon is killed with SIGKILL in the middle of them, more arrive while it is down, and
/// after a restart every lamp at the presence server shows what the feed last said.
@Suite(.serialized) struct DaemonRecoveryTests {
    /// A daemon with its own table, node, stream and consumer group; state written every second.
    struct Setup {
        let prefix = UniqueNames.make("rec")
        var databaseURL = TestServices.databaseURL
        var ownTable = true
        var updatePeriod = 1
        var adminToken: String?
        var trimInterval = 1
        var presenceServer = TestServices.kamailioURI
        var redisURL = TestServices.redisURL
        /// How the registrations feed is read: "stream" or "pubsub".
        var registrationsMode = "stream"
        var table: String { ownTable ? "pua_\(prefix)" : "pua" }
        var stream: String { "\(prefix):registrations" }
        var node: String { "node-\(prefix)" }

        func configuration(sipPort: Int, statusPort: Int) -> String {
            """
            [pua]
            update_period = \(updatePeriod)
            min_expires = 60
            default_expires = 3600

            [database]
            url = "\(databaseURL)"
            table = "\(table)"

            [cluster]
            id = 1
            node = "\(node)"

            [sip]
            listen = ["udp:127.0.0.1:\(sipPort)"]
            presence_server = "\(presenceServer)"

            [redis]
            url = "\(redisURL)"

            [feeds]
            consumer_group = "\(prefix)"

            [feeds.registrations]
            mode = "\(registrationsMode)"
            key = "\(stream)"

            [feeds.dialogs]
            enabled = false

            [feeds.mwi]
            enabled = false

            [status]
            listen = "127.0.0.1:\(statusPort)"
            \(adminToken.map { "admin_token = \"\($0)\"" } ?? "")

            [memory]
            trim_interval = \(trimInterval)

            [log]
            level = "debug"
            """
        }

        func user(_ n: Int) -> String { "\(prefix)u\(n)" }
        func aor(_ n: Int) -> String { "sip:\(user(n))@127.0.0.1" }
    }

    /// The services a daemon test talks to, with the setup's own publication table; `close()` drops the table
    /// and the node's feed state.
    struct Services: Sendable {
        let setup: Setup
        let database: PostgresConnection
        let kamailio: PostgresConnection
        let redis: RedisConnection

        static func open(for setup: Setup) async throws -> Services {
            let services = Services(
                setup: setup, database: try await TestServices.postgres(),
                kamailio: try await TestServices.postgres(url: TestServices.kamailioDatabaseURL), redis: try await TestServices.redis())
            try await services.database.executeScript("CREATE TABLE \(setup.table) (LIKE pua INCLUDING ALL)")
            return services
        }

        func close() async {
            try? await database.executeScript("DROP TABLE \(setup.table)")
            _ = try? await database.query("DELETE FROM pua_feed_state WHERE node = $1", [setup.node])
            await database.close()
            await kamailio.close()
            await redis.close()
        }
    }

    /// Appends one registration event to the setup's stream.
    static func send(_ redis: RedisConnection, _ setup: Setup, _ kind: String, _ n: Int, contact: String, seq: Int) async throws {
        _ = try await redis.command([
            "XADD", setup.stream, "*", "payload",
            event(kind, setup.aor(n), contact: "sip:\(setup.user(n))@192.0.2.\(contact):5060", seq: seq),
        ])
    }

    /// The users of `users` whose lamp at Kamailio is not what `expected` says (open, and with which of the
    /// contacts 192.0.2.1-3), as "user: rows" lines; exactly one live row each is expected.
    static func wrongLamps(
        _ users: Range<Int>, _ setup: Setup, _ kamailio: PostgresConnection, expected: (Int) -> (open: Bool, contacts: [String])
    ) async throws -> [String] {
        var wrong: [String] = []
        for n in users {
            let rows = try await presentity(setup.user(n), kamailio)
            let want = expected(n)
            let body = rows.first ?? ""
            let right = rows.count == 1 && body.contains(want.open ? "<basic>open</basic>" : "<basic>closed</basic>")
                && !body.contains(want.open ? "<basic>closed</basic>" : "<basic>open</basic>")
                && ["192.0.2.1", "192.0.2.2", "192.0.2.3"].allSatisfy { body.contains("@\($0):") == want.contacts.contains($0) }
            if !right { wrong.append("\(setup.user(n)): \(rows)") }
        }
        return wrong
    }

    /// Initial PUBLISHes (no SIP-If-Match) the log shows for `aor`.
    static func initialPublishes(_ log: String, _ aor: String) -> Int {
        log.split(separator: "\n").filter {
            $0.contains("PUBLISH sent") && $0.contains("kind=initial") && $0.contains("publication=\(aor) ")
        }.count
    }

    /// One registration event as the registrar publishes it.
    static func event(_ kind: String, _ aor: String, contact: String, seq: Int) -> String {
        let expires = kind == "contact-insert" ? #","expires":3600"# : ""
        return #"{"event":"\#(kind)","aor":"\#(aor)","contact":"\#(contact)"\#(expires),"seq":\#(seq)}"#
    }

    /// What Kamailio holds for `user` (event presence, not expired): one body per row.
    static func presentity(_ user: String, _ kamailio: PostgresConnection) async throws -> [String] {
        try await kamailio.query(
            "SELECT convert_from(body, 'UTF8') FROM presentity WHERE username = $1 AND event = 'presence' "
                + "AND expires > extract(epoch FROM now())", [user]
        ).rows.map { $0[0] ?? "" }
    }

    /// Polls `condition` until it holds or `timeout` passes; returns whether it held.
    static func eventually(_ timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }

    @Test func aGracefulStopWritesEverythingBeforeExit() async throws {
        // Nothing is written on the timer: only the shutdown can have written it.
        let setup = {
            var setup = Setup()
            setup.updatePeriod = 3600
            return setup
        }()
        let services = try await Services.open(for: setup)
        defer { Task { await services.close() } }
        let (database, kamailio, redis) = (services.database, services.kamailio, services.redis)
        let daemon = try LamplighterDaemon(
            name: "graceful", configuration: setup.configuration(sipPort: try FreePort.udp(), statusPort: try FreePort.tcp()))
        try await daemon.start()
        for n in 0..<10 { try await Self.send(redis, setup, "contact-insert", n, contact: "1", seq: n + 1) }
        #expect(try await Self.eventually {
            try await Self.wrongLamps(0..<10, setup, kamailio) { _ in (true, ["192.0.2.1"]) }.isEmpty
        })
        await daemon.stop()
        let rows = try await database.query("SELECT count(*) FROM \(setup.table) WHERE etag IS NOT NULL AND node = $1", [setup.node])
        let state = try await database.query("SELECT count(*) FROM pua_feed_state WHERE node = $1", [setup.node])
        #expect(rows.rows.first?.first == "10" && state.rows.first?.first == "10", "written at SIGTERM")
        let pending = try await redis.command(["XPENDING", setup.stream, setup.prefix])
        guard case .array(let summary) = pending else { Issue.record("XPENDING answered \(pending)"); return }
        #expect(summary.first == .integer(0), "every entry acknowledged at SIGTERM: \(pending)")
    }

    @Test func aKilledDaemonRestartsWithEveryLampRightAndNoStormOfInitialPublishes() async throws {
        let setup = Setup()
        let services = try await Services.open(for: setup)
        defer { Task { await services.close() } }
        let (database, kamailio, redis) = (services.database, services.kamailio, services.redis)
        let daemon = try LamplighterDaemon(
            name: "recovery", configuration: setup.configuration(sipPort: try FreePort.udp(), statusPort: try FreePort.tcp()))
        try await daemon.start()
        var seq = 0
        func send(_ kind: String, _ n: Int, _ contact: String) async throws {
            seq += 1
            try await Self.send(redis, setup, kind, n, contact: contact, seq: seq)
        }

        // Wave 1: 25 AORs with two phones each; wait until Kamailio shows them and their state is stored.
        for n in 0..<25 {
            try await send("contact-insert", n, "1")
            try await send("contact-insert", n, "2")
        }
        #expect(try await Self.eventually {
            var open = 0
            for n in 0..<25 where try await Self.presentity(setup.user(n), kamailio).contains(where: { $0.contains("192.0.2.2") }) { open += 1 }
            return open == 25
        }, "wave 1 published")
        #expect(try await Self.eventually {
            let rows = try await database.query(
                "SELECT count(*) FROM pua_feed_state WHERE node = $1 AND feed = 'registrations' AND state::text LIKE '%192.0.2.2%'", [setup.node])
            let published = try await database.query("SELECT count(*) FROM \(setup.table) WHERE etag IS NOT NULL AND node = $1", [setup.node])
            return rows.rows.first?.first == "25" && published.rows.first?.first == "25"
        }, "wave 1 stored")

        // Wave 2, and SIGKILL as soon as Kamailio shows the first of its changes.
        for n in 0..<15 { try await send("contact-delete", n, "1") }
        for n in 10..<15 { try await send("contact-delete", n, "2") }
        #expect(try await Self.eventually(.seconds(10)) {
            try await Self.presentity(setup.user(0), kamailio).allSatisfy { !$0.contains("192.0.2.1:") }
        })
        try await daemon.kill()

        // While it is down: more events, and five publications that expire meanwhile (their rows say so and
        // Kamailio forgot them).
        for n in 0..<5 { try await send("contact-delete", n, "2") }
        for n in 15..<20 { try await send("contact-insert", n, "3") }
        let expiring = (20..<25).map(setup.aor)
        _ = try await database.query(
            "UPDATE \(setup.table) SET expires = floor(extract(epoch FROM now()))::bigint - 10 WHERE pres_uri = ANY($1::text[])",
            [PostgresBindings.textArray(expiring)])
        _ = try await kamailio.query(
            "DELETE FROM presentity WHERE username = ANY($1::text[]) AND event = 'presence'",
            [PostgresBindings.textArray((20..<25).map(setup.user))])

        let run = try await daemon.start()
        func expected(_ n: Int) -> (open: Bool, contacts: [String]) {
            switch n {
            case 0..<5, 10..<15: (false, [])
            case 5..<10: (true, ["192.0.2.2"])
            case 15..<20: (true, ["192.0.2.1", "192.0.2.2", "192.0.2.3"])
            default: (true, ["192.0.2.1", "192.0.2.2"])
            }
        }
        var wrong: [String] = []
        let settled = try await Self.eventually {
            wrong = try await Self.wrongLamps(0..<25, setup, kamailio, expected: expected)
            return wrong.isEmpty
        }
        #expect(settled, "lamps at Kamailio after the restart:\n\(wrong.joined(separator: "\n"))")

        // Initial PUBLISHes (no SIP-If-Match) after the restart: at most one per publication, exactly one for each
        // that expired while the daemon was down.
        let log = daemon.log(run: run)
        for n in 0..<25 {
            let initial = Self.initialPublishes(log, setup.aor(n))
            #expect(initial <= 1, "\(setup.user(n)) got \(initial) initial PUBLISHes")
            if n >= 20 { #expect(initial == 1, "\(setup.user(n)) expired while down") }
        }
        await daemon.stop()
    }
}
