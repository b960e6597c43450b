import LamplighterTestSupport
import PUACore
import SIPCore
import Testing
@testable import PUAStore

/// Subscriptions in the shared `pua` table of deploy/test's PostgreSQL, beside publications of the same
/// presentity, event and id; each test reads back only its own.
@Suite struct PostgresSubscriptionStoreTests {
    func subscription(_ id: String, resource: String) throws -> SubscriptionSnapshot {
        var routes = SIPHeaders()
        routes.add("Record-Route", "<sip:p1.example.com;lr>, <sip:[::1]:5070;lr;transport=tcp>")
        return SubscriptionSnapshot(
            parameters: SubscribeParameters(
                id: id, resource: try SIPURI(parsing: resource), watcher: SIPURI(user: "gateway", host: "127.0.0.1"),
                event: "presence", accept: ["application/pidf+xml", "multipart/related"], expires: 600,
                outboundProxy: SIPURI(host: "127.0.0.1", port: 5071), source: .admin),
            state: .active, grantedExpires: 600, expiresAt: 1_795_770_000, callID: "s-\(id)@lamplighter", localTag: "l\(id)",
            remoteTag: "r\(id)", localSequence: 7, routeSet: routes.recordRoutes,
            remoteTarget: try SIPURI(parsing: "sip:ps@127.0.0.1:5060;transport=udp"), contact: SIPURI(host: "127.0.0.1", port: 5070))
    }

    @Test func subscriptionsRoundTripBesidePublicationsAndAreDeleted() async throws {
        let connection = try await TestServices.postgres()
        defer { Task { await connection.close() } }
        let store = PostgresPresentityStore(connection: connection, node: UniqueNames.make("node"))
        let user = UniqueNames.make("subs")
        let resource = "sip:\(user)@127.0.0.1"
        // A publication with the very presentity, event and id a subscription has.
        let publication = PublicationSnapshot(
            key: PublicationKey(presentity: resource, event: "presence", id: "w1"), state: .published, etag: "e1",
            grantedExpires: 600, expiresAt: 1_795_770_000, desiredExpires: nil, body: Array("<presence/>".utf8),
            contentType: "application/pidf+xml", version: 0, tupleID: "t", lastReply: nil, lastFailure: nil,
            hasPendingUpdate: false, source: .admin, sharingTag: nil, extraHeaders: [], outboundProxy: nil, sourceDigest: nil,
            callID: "p@lamplighter", fromTag: "pf", cseq: 3)
        try await store.upsert([publication])
        var first = try subscription("w1", resource: resource)
        var second = try subscription("w2", resource: resource)
        second.state = .idle
        second.remoteTag = nil
        second.routeSet = []
        second.remoteTarget = nil
        second.expiresAt = nil
        second.grantedExpires = nil
        second.parameters.accept = []
        second.parameters.expires = nil
        second.parameters.outboundProxy = nil
        try await store.writeSubscriptions([first, second], deleting: [])
        func mine() async throws -> [String: SubscriptionSnapshot] {
            Dictionary(uniqueKeysWithValues: try await store.loadSubscriptions().filter { $0.parameters.resource.description == resource }.map { ($0.parameters.id, $0) })
        }
        #expect(try await mine() == ["w1": first, "w2": second])
        #expect(try await store.loadAll().filter { $0.key.presentity == resource } == [publication], "publications load apart")
        let rows = try await connection.query(
            "SELECT pres_id, watcher_uri, flag, to_tag, record_route FROM pua WHERE pres_uri = $1 ORDER BY watcher_uri, pres_id", [resource])
        #expect(rows.rows == [
            ["w1", "", "64", nil, nil],
            ["w1", "sip:gateway@127.0.0.1", "256", "rw1", "<sip:p1.example.com;lr>, <sip:[::1]:5070;lr;transport=tcp>"],
            ["w2", "sip:gateway@127.0.0.1", "256", nil, nil],
        ])

        // A refresh replaces the row; an ended one is deleted; the publication stays.
        first.localSequence = 8
        first.expiresAt = 1_795_771_000
        try await store.writeSubscriptions([first], deleting: [second.key, first.key])
        #expect(try await mine() == ["w1": first], "a key both written and deleted is written")
        try await store.writeSubscriptions([], deleting: [first.key])
        #expect(try await mine().isEmpty)
        #expect(try await store.loadAll().filter { $0.key.presentity == resource } == [publication])
        try await store.delete([publication.key])
        #expect(try await store.loadAll().filter { $0.key.presentity == resource }.isEmpty)
    }

    @Test func aSubscriptionRowThatCannotBeReadBackIsCorrupt() async throws {
        let connection = try await TestServices.postgres()
        let table = UniqueNames.make("pua_subs_corrupt")
        try await connection.executeScript("CREATE TABLE \(table) (LIKE pua INCLUDING DEFAULTS INCLUDING INDEXES)")
        defer { Task { try? await connection.executeScript("DROP TABLE \(table)"); await connection.close() } }
        let store = PostgresPresentityStore(connection: connection, table: table)
        try await store.writeSubscriptions([try subscription("ok", resource: "sip:a@127.0.0.1")], deleting: [])
        try await connection.query("UPDATE \(table) SET contact = 'not a uri'")
        await #expect {
            _ = try await store.loadSubscriptions()
        } throws: { error in
            guard let error = error as? PresentityStoreError else { return false }
            return error.code == .corrupt && error.context.contains(table)
        }
    }
}
