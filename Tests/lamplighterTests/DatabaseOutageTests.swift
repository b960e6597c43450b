import Foundation
import LamplighterTestSupport
import PUAStore
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// PostgreSQL stopped for 30 seconds while registration events stream in: the daemon keeps publishing from
/// memory, reports itself degraded, and once the database is back writes everything, so a crash right after
/// loses nothing.
@Suite struct DatabaseOutageTests {
    static func readiness(port: Int) async throws -> (status: Int, body: String) {
        let (data, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/readyz")!)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    @Test func thirtySecondsWithoutPostgreSQLLoseNothing() async throws {
        let sandbox = try await PostgresSandbox()
        var setup = DaemonRecoveryTests.Setup()
        setup.databaseURL = sandbox.url
        setup.ownTable = false
        let kamailio = try await TestServices.postgres(url: TestServices.kamailioDatabaseURL)
        let redis = try await TestServices.redis()
        defer {
            Task {
                await kamailio.close()
                await redis.close()
                try? await sandbox.remove()
            }
        }
        let statusPort = try FreePort.tcp()
        let daemon = try LamplighterDaemon(
            name: "outage", configuration: setup.configuration(sipPort: try FreePort.udp(), statusPort: statusPort))
        try await daemon.start()
        var seq = 0
        func send(_ kind: String, _ n: Int, _ contact: String) async throws {
            seq += 1
            try await DaemonRecoveryTests.send(redis, setup, kind, n, contact: contact, seq: seq)
        }
        for n in 0..<20 { try await send("contact-insert", n, "1") }
        let before = try await DaemonRecoveryTests.eventually {
            try await DaemonRecoveryTests.wrongLamps(0..<20, setup, kamailio) { _ in (true, ["192.0.2.1"]) }.isEmpty
        }
        #expect(before, "the first events are published")

        // The outage: the stream goes on (new phones, and phones leaving) while the database is down.
        try await sandbox.stop()
        let outageStart = ContinuousClock.now
        #expect(try await DaemonRecoveryTests.eventually(.seconds(15)) {
            let (status, body) = try await Self.readiness(port: statusPort)
            return status == 503 && body.contains("postgresql")
        }, "readyz reports the database")
        for step in 0..<10 {
            for n in (20 + 2 * step)..<(22 + 2 * step) { try await send("contact-insert", n, "1") }
            try await send("contact-delete", step, "1")
            try await Task.sleep(for: .seconds(2))
        }
        var wrong: [String] = []
        let duringOutage = try await DaemonRecoveryTests.eventually(.seconds(15)) {
            wrong = try await DaemonRecoveryTests.wrongLamps(0..<40, setup, kamailio) { n in n < 10 ? (false, []) : (true, ["192.0.2.1"]) }
            return wrong.isEmpty
        }
        #expect(duringOutage, "publishing goes on from memory:\n\(wrong.joined(separator: "\n"))")
        let (_, degraded) = try await Self.readiness(port: statusPort)
        #expect(degraded.contains("store degraded") || degraded.contains("postgresql"), "\(degraded)")
        let remaining = Duration.seconds(30) - (ContinuousClock.now - outageStart)
        if remaining > .zero { try await Task.sleep(for: remaining) }
        try await sandbox.start()

        // Back: ready again, and every publication and feed entry is written.
        #expect(try await DaemonRecoveryTests.eventually(.seconds(30)) { try await Self.readiness(port: statusPort).status == 200 })
        let database = try await TestServices.postgres(url: sandbox.url)
        defer { Task { await database.close() } }
        let written = try await DaemonRecoveryTests.eventually(.seconds(30)) {
            let pua = try await database.query(
                "SELECT count(*) FILTER (WHERE convert_from(body, 'UTF8') LIKE '%<basic>closed</basic>%'), count(*) FROM pua WHERE etag IS NOT NULL")
            let feed = try await database.query("SELECT count(*) FROM pua_feed_state WHERE feed = 'registrations'")
            return pua.rows.first == ["10", "40"] && feed.rows.first == ["40"]
        }
        #expect(written, "40 publications (10 closed) and 40 AORs of feed state stored after the outage")

        // Nothing was only in memory: a crash now and a restart leave every lamp as it is.
        try await daemon.kill()
        let run = try await daemon.start()
        try await Task.sleep(for: .seconds(2))
        wrong = try await DaemonRecoveryTests.wrongLamps(0..<40, setup, kamailio) { n in n < 10 ? (false, []) : (true, ["192.0.2.1"]) }
        #expect(wrong.isEmpty, "\(wrong.joined(separator: "\n"))")
        let log = daemon.log(run: run)
        #expect(log.contains("republished=0 resumed=40"), "every stored publication resumes with its entity-tag")
        #expect(!log.contains("PUBLISH sent"), "nothing needs publishing after the restart")
        await daemon.stop()
        await database.close()
        try await sandbox.remove()
    }
}
