import Foundation
import LamplighterTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A subscription made through the admin API survives `kill -9` of the daemon: after the restart it is
/// refreshed in its own dialog; when the presence server forgot the dialog meanwhile (it restarted), the
/// refresh's 481 makes a new one. Real daemon, real Kamailio (a sandbox of the test's own, subscriptions in
/// memory) and PostgreSQL.
@Suite(.serialized) struct DaemonSubscriptionRecoveryTests {
    static let token = "subscription-test-token-0123456789"

    static func post(_ port: Int, _ path: String, _ json: String) async throws -> Int {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = "POST"
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.httpBody = Data(json.utf8)
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    /// `GET /subscriptions/{id}` as a dictionary; nil when it is not found.
    static func subscription(_ port: Int, _ id: String) async throws -> [String: Any]? {
        let (code, body) = try await StatusEndpointTests.get(port, "/subscriptions/\(id)")
        guard code == 200 else { return nil }
        return try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
    }

    @Test func aSubscriptionResumesInItsDialogAfterKill9AndIsRecreatedWhenTheServerForgotIt() async throws {
        let server = try await KamailioSandbox()
        defer { Task { try? await server.remove() } }
        var setup = DaemonRecoveryTests.Setup()
        setup.adminToken = Self.token
        setup.presenceServer = server.uri
        let services = try await DaemonRecoveryTests.Services.open(for: setup)
        defer { Task { await services.close() } }
        let statusPort = try FreePort.tcp()
        let daemon = try LamplighterDaemon(
            name: "subs-recovery", configuration: setup.configuration(sipPort: try FreePort.udp(), statusPort: statusPort))
        try await daemon.start()
        let resource = setup.aor(0)
        func publish(_ basic: String) async throws -> Int {
            let body = #"<?xml version=\"1.0\"?><presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"\#(resource)\"><tuple id=\"t\"><status><basic>\#(basic)</basic></status></tuple></presence>"#
            return try await Self.post(statusPort, "/publish", #"{"pres_uri":"\#(resource)","event":"presence","body":"\#(body)","content_type":"application/pidf+xml","expires":600}"#)
        }
        #expect(try await publish("open") == 202)
        // 15 s: refreshed 10 s before the end, so within seconds of a restart.
        #expect(try await Self.post(statusPort, "/subscribe",
            #"{"pres_uri":"\#(resource)","watcher_uri":"sip:ops@127.0.0.1","event":"presence","id":"ops","expires":15}"#) == 202)
        var first: [String: Any] = [:]
        #expect(try await DaemonRecoveryTests.eventually(.seconds(10)) {
            first = try await Self.subscription(statusPort, "ops") ?? [:]
            return first["state"] as? String == "active" && (first["lastNotifyBody"] as? String)?.contains("<basic>open</basic>") == true
        }, "\(first)")
        let callID = try #require(first["callID"] as? String)
        // Written within update_period (1 s): the dialog is in the pua table.
        #expect(try await DaemonRecoveryTests.eventually(.seconds(10)) {
            let rows = try await services.database.query(
                "SELECT call_id, to_tag, state FROM \(setup.table) WHERE pres_id = 'ops' AND watcher_uri = 'sip:ops@127.0.0.1'")
            return rows.rows.first.map { $0[0] == callID && $0[1] != nil && $0[2] == "active" } ?? false
        })
        let storedCSeq = try await services.database.query("SELECT cseq FROM \(setup.table) WHERE pres_id = 'ops' AND watcher_uri <> ''")
            .rows.first?.first.flatMap { $0.flatMap { Int($0) } } ?? 0

        // Crash and restart: the same dialog, refreshed in it (CSeq past the stored one plus the gap of 100).
        try await daemon.kill()
        let restarted = Date().timeIntervalSince1970
        try await daemon.start()
        var resumed: [String: Any] = [:]
        #expect(try await DaemonRecoveryTests.eventually(.seconds(15)) {
            resumed = try await Self.subscription(statusPort, "ops") ?? [:]
            return (resumed["cseq"] as? Int ?? 0) > storedCSeq + 100 && (resumed["lastNotifyAt"] as? Double ?? 0) > restarted
        }, "\(resumed)")
        #expect(resumed["callID"] as? String == callID && resumed["state"] as? String == "active", "\(resumed)")
        #expect(try await publish("closed") == 202)
        #expect(try await DaemonRecoveryTests.eventually(.seconds(10)) {
            (try await Self.subscription(statusPort, "ops")?["lastNotifyBody"] as? String)?.contains("<basic>closed</basic>") == true
        })

        // Crash again, and the presence server restarts meanwhile, forgetting every subscription: the refresh
        // after the restart gets 481 and the subscription is made again, in a new dialog, with the current state.
        try await daemon.kill()
        try await server.stop()
        try await server.start()
        let run = try await daemon.start()
        var recreated: [String: Any] = [:]
        #expect(try await DaemonRecoveryTests.eventually(.seconds(15)) {
            recreated = try await Self.subscription(statusPort, "ops") ?? [:]
            return recreated["callID"] as? String != callID && recreated["state"] as? String == "active"
                && (recreated["lastNotifyBody"] as? String)?.contains("<basic>closed</basic>") == true
        }, "\(recreated)\n\(daemon.log(run: run).suffix(3000))")
        let metrics = try await StatusEndpointTests.get(statusPort, "/metrics").1
        #expect(StatusEndpointTests.sample(metrics, #"lamplighter_subscribe_replies_total{code="481"}"#) == 1, "the forgotten dialog answered 481")
        #expect(StatusEndpointTests.sample(metrics, #"lamplighter_subscribe_sent_total{kind="initial"}"#) == 1, "one new dialog")
        await daemon.stop()
        try await server.remove()
    }
}
