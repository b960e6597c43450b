import Foundation
import Hummingbird
import HummingbirdTesting
import LamplighterTestSupport
import Logging
import NIOCore
import PUACore
import Prometheus
import SIPCore
import SIPStack
import Testing
@testable import StatusServer

/// /status, /publications, /metrics and the admin POST /publish over HTTP (Hummingbird's live test client, a
/// real socket), with a real engine publishing to the test Kamailio.
@Suite struct StatusEngineRoutesTests {
    static let logger = Logger(label: "test.status")
    static let token = "s3cret-admin-token-0123456789"

    /// An engine on its own endpoint, publishing to the test Kamailio.
    static func engine() async throws -> (PublicationEngine, SIPEndpoint) {
        let endpoint = try await SIPEndpoint.bind(host: "127.0.0.1", port: 0, logger: logger)
        let resolver = SIPResolver(dns: DNSClient(nameserver: try SocketAddress(ipAddress: "127.0.0.1", port: 1)))
        let engine = PublicationEngine(
            transport: SIPPublishTransport(endpoint: endpoint, resolver: resolver, defaultNextHop: try SIPURI(parsing: TestServices.kamailioURI)),
            logger: logger)
        return (engine, endpoint)
    }

    static func pidf(_ aor: String, _ basic: String) -> String {
        #"<?xml version="1.0" encoding="UTF-8"?><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="\#(aor)"><tuple id="t"><status><basic>\#(basic)</basic></status></tuple></presence>"#
    }

    static func publishBody(_ fields: [String: Any]) -> ByteBuffer {
        ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: fields))
    }

    /// Waits until the engine has the publication of `aor` in `state`.
    static func settle(_ engine: PublicationEngine, _ aor: String, _ state: PublicationMachine.State) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while await engine.publication(PublicationKey(presentity: aor, event: "presence"))?.state != state {
            guard ContinuousClock.now < deadline else { Issue.record("\(aor) never reached \(state)"); return }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    @Test func theAdminAPIPublishesAndThePublicationIsListedAndShown() async throws {
        let (engine, endpoint) = try await Self.engine()
        defer { Task { await endpoint.close() } }
        let board = StatusBoard(version: "1")
        let context = StatusContext(cluster: ClusterReport(node: "node-a", id: nil, sharingTag: nil), engine: engine, adminToken: Self.token)
        let app = Application(router: StatusHTTPServer.router(board: board, context: context))
        let users = (0..<3).map { _ in UniqueNames.make("adm") }
        try await app.test(.live) { client in
            // Without the token, or with a wrong one: 401, nothing published.
            let body = Self.publishBody(["pres_uri": "sip:\(users[0])@127.0.0.1", "event": "presence", "body": Self.pidf("sip:\(users[0])@127.0.0.1", "open")])
            try await client.execute(uri: "/publish", method: .post, body: body) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/publish", method: .post, headers: [.authorization: "Bearer \(Self.token)x"], body: body) { response in
                #expect(response.status == .unauthorized)
            }
            #expect(await engine.publicationCount == 0)

            // Bad requests name the field.
            let auth: HTTPFields = [.authorization: "Bearer \(Self.token)", .contentType: "application/json"]
            for (payload, field) in [
                (ByteBuffer(string: "{not json"), nil as String?),
                (Self.publishBody(["event": "presence"]), "pres_uri"),
                (Self.publishBody(["pres_uri": "mailto:x", "event": "presence"]), "pres_uri"),
                (Self.publishBody(["pres_uri": "sip:a@127.0.0.1", "event": "presence", "expires": "soon"]), "expires"),
                (Self.publishBody(["pres_uri": "sip:a@127.0.0.1", "event": "presence", "colour": "red"]), "colour"),
            ] {
                try await client.execute(uri: "/publish", method: .post, headers: auth, body: payload) { response in
                    #expect(response.status == .badRequest)
                    let error = try JSONDecoder().decode([String: String].self, from: Data(buffer: response.body))
                    #expect(error["field"] == field, "\(String(buffer: response.body))")
                    #expect(error["error"]?.isEmpty == false)
                }
            }

            // Three good ones.
            for user in users {
                let aor = "sip:\(user)@127.0.0.1"
                try await client.execute(
                    uri: "/publish", method: .post, headers: auth,
                    body: Self.publishBody(["pres_uri": aor, "event": "presence", "body": Self.pidf(aor, "open"), "expires": 600])
                ) { response in
                    #expect(response.status == .accepted)
                }
                try await Self.settle(engine, aor, .published)
            }

            // Listed with filters and paging; shown one by one with its body.
            let mine = "sip:\(users[1])@127.0.0.1"
            try await client.execute(uri: "/publications?aor=\(mine)&event=presence&state=published", method: .get) { response in
                let page = try JSONDecoder().decode(PublicationPage.self, from: Data(buffer: response.body))
                #expect(page.total == 1 && page.publications.map(\.presentity) == [mine])
                #expect(page.publications[0].etag != nil && page.publications[0].lastReplyCode == 200 && page.publications[0].source == "admin")
                #expect(page.publications[0].body == nil, "bodies only in the single view")
            }
            try await client.execute(uri: "/publications?event=presence&limit=2&offset=1", method: .get) { response in
                let page = try JSONDecoder().decode(PublicationPage.self, from: Data(buffer: response.body))
                #expect(page.total == 3 && page.offset == 1 && page.limit == 2 && page.publications.count == 2)
            }
            let id = PublicationView.id(of: PublicationKey(presentity: mine, event: "presence"))
            try await client.execute(uri: "/publications/\(id)", method: .get) { response in
                let view = try JSONDecoder().decode(PublicationView.self, from: Data(buffer: response.body))
                #expect(view.presentity == mine && view.body?.contains("<basic>open</basic>") == true && view.expiresAt != nil)
            }
            try await client.execute(uri: "/publications/\(PublicationView.id(of: PublicationKey(presentity: "sip:nobody@x", event: "presence")))", method: .get) { response in
                #expect(response.status == .notFound)
            }
            for (query, field) in [("limit=0", "limit"), ("offset=-1", "offset"), ("state=sleeping", "state"), ("aor=nonsense", "aor")] {
                try await client.execute(uri: "/publications?\(query)", method: .get) { response in
                    #expect(response.status == .badRequest)
                    let error = try JSONDecoder().decode([String: String].self, from: Data(buffer: response.body))
                    #expect(error["field"] == field)
                }
            }

            // /status counts them and names the node.
            try await client.execute(uri: "/status", method: .get) { response in
                let status = try JSONDecoder().decode(StatusDocument.self, from: Data(buffer: response.body))
                #expect(status.cluster?.node == "node-a")
                #expect(status.publications?["presence"]?["published"] == 3)
                #expect((status.replies?["200"] ?? 0) >= 3)
                #expect(status.database?.unflushed == 3, "nothing written yet (no flush ran)")
            }
        }
    }

    @Test func theAdminAPISubscribesAndTheSubscriptionIsListedShownAndEnded() async throws {
        let (engine, endpoint) = try await Self.engine()
        defer { Task { await endpoint.close() } }
        let resolver = SIPResolver(dns: DNSClient(nameserver: try SocketAddress(ipAddress: "127.0.0.1", port: 1)))
        let subscriptions = SubscriptionEngine(
            transport: SIPPublishTransport(endpoint: endpoint, resolver: resolver, defaultNextHop: try SIPURI(parsing: TestServices.kamailioURI)),
            contact: SIPURI(host: "127.0.0.1", port: endpoint.localAddress.port ?? 0), logger: Self.logger)
        await endpoint.setRequestHandler { request, _ in await subscriptions.notifyReceived(request) }
        let aor = "sip:\(UniqueNames.make("sub"))@127.0.0.1"
        try await engine.sendPublish(PublishParameters(
            presentity: try SIPURI(parsing: aor), event: "presence", body: Array(Self.pidf(aor, "open").utf8), expires: 600, source: .admin))
        try await Self.settle(engine, aor, .published)

        let context = StatusContext(engine: engine, subscriptions: subscriptions, adminToken: Self.token)
        let app = Application(router: StatusHTTPServer.router(board: StatusBoard(version: "1"), context: context))
        try await app.test(.live) { client in
            let auth: HTTPFields = [.authorization: "Bearer \(Self.token)", .contentType: "application/json"]
            try await client.execute(uri: "/subscribe", method: .post, body: Self.publishBody(["pres_uri": aor, "event": "presence"])) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/subscribe", method: .post, headers: auth, body: Self.publishBody(["pres_uri": aor, "event": "presence"])) { response in
                #expect(response.status == .badRequest)
                let error = try JSONDecoder().decode([String: String].self, from: Data(buffer: response.body))
                #expect(error["field"] == "watcher_uri")
            }
            let fields: [String: Any] = ["pres_uri": aor, "watcher_uri": "sip:ops@127.0.0.1", "event": "presence", "expires": 600, "id": "ops-1"]
            try await client.execute(uri: "/subscribe", method: .post, headers: auth, body: Self.publishBody(fields)) { response in
                #expect(response.status == .accepted)
            }
            let deadline = ContinuousClock.now + .seconds(10)
            while await subscriptions.subscription("ops-1")?.lastNotifyBody == nil, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            try await client.execute(uri: "/subscriptions?event=presence&state=active", method: .get) { response in
                let page = try JSONDecoder().decode(SubscriptionPage.self, from: Data(buffer: response.body))
                #expect(page.total == 1 && page.subscriptions.first?.id == "ops-1" && page.subscriptions.first?.remoteTag != nil)
            }
            try await client.execute(uri: "/subscriptions/ops-1", method: .get) { response in
                let view = try JSONDecoder().decode(SubscriptionView.self, from: Data(buffer: response.body))
                #expect(view.lastNotifyBody?.contains("<basic>open</basic>") == true && view.lastNotifyState?.hasPrefix("active") == true)
            }
            try await client.execute(uri: "/status", method: .get) { response in
                let status = try JSONDecoder().decode(StatusDocument.self, from: Data(buffer: response.body))
                #expect(status.subscriptions?["presence"]?["active"] == 1)
            }
            // Expires 0 ends it.
            var ending = fields
            ending["expires"] = 0
            try await client.execute(uri: "/subscribe", method: .post, headers: auth, body: Self.publishBody(ending)) { response in
                #expect(response.status == .accepted)
            }
            while await subscriptions.subscription("ops-1") != nil, ContinuousClock.now < deadline + .seconds(5) {
                try await Task.sleep(for: .milliseconds(10))
            }
            try await client.execute(uri: "/subscriptions/ops-1", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func withoutATokenTheAdminAPIIsOffAndMetricsComeFromTheRegistry() async throws {
        let registry = PrometheusCollectorRegistry()
        let counter = registry.makeCounter(name: "lamplighter_test_events_total", labels: [("feed", "registrations")])
        counter.increment(by: Int64(3))
        let app = Application(router: StatusHTTPServer.router(board: StatusBoard(version: "1"), context: StatusContext(metrics: registry)))
        try await app.test(.live) { client in
            try await client.execute(uri: "/publish", method: .post, body: ByteBuffer(string: "{}")) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                #expect(String(buffer: response.body).contains(#"lamplighter_test_events_total{feed="registrations"} 3"#))
            }
        }
    }

    @Test func theTokenComparisonNeedsTheWholeToken() {
        #expect(StatusHTTPServer.authorized("Bearer abc", token: "abc"))
        #expect(!StatusHTTPServer.authorized("Bearer ab", token: "abc"))
        #expect(!StatusHTTPServer.authorized("Bearer abcd", token: "abc"))
        #expect(!StatusHTTPServer.authorized("bearer abc", token: "abc"))
        #expect(!StatusHTTPServer.authorized(nil, token: "abc"))
        let key = PublicationKey(presentity: "sip:a@b;x=1", event: "dialog;sla", id: "line 2")
        #expect(PublicationView.key(of: PublicationView.id(of: key)) == key)
        #expect(PublicationView.key(of: "!!!") == nil)
    }
}
