import Foundation
import LamplighterTestSupport
import PUAStore
import SIPCore
import Testing
@testable import PUACore

/// Two engines as two nodes of a cluster over one store, against the real Kamailio: either node modifies a
/// publication the other made with the current ETag (no 412, no second row at the server), only the holder
/// of a record's tag refreshes it, and a node taking a tag over refreshes (or re-publishes) its records.
@Suite struct PublicationEngineClusterTests {
    /// Node A holds tag "ta", node B "tb"; announcements go from each to the other (unless `linked` is false).
    static func pair(store: InMemoryPresentityStore, linked: Bool = true) async throws -> (EngineHarness, EngineHarness) {
        let kamailio = try SIPURI(parsing: TestServices.kamailioURI)
        let a = try await EngineHarness(nextHop: kamailio, store: store)
        let b = try await EngineHarness(nextHop: kamailio, store: store)
        let (engineA, engineB) = (a.engine, b.engine)
        // In order, as the Redis channel delivers them.
        let (toB, inboxB) = AsyncStream.makeStream(of: PublicationAnnouncement.self)
        let (toA, inboxA) = AsyncStream.makeStream(of: PublicationAnnouncement.self)
        Task { for await announcement in toB { await engineB.announcementReceived(announcement) } }
        Task { for await announcement in toA { await engineA.announcementReceived(announcement) } }
        await engineA.joinCluster(node: "a", sharingTag: "ta", activeTags: ["ta"]) { announcement in
            if linked { inboxB.yield(announcement) }
        }
        await engineB.joinCluster(node: "b", sharingTag: "tb", activeTags: ["tb"]) { announcement in
            if linked { inboxA.yield(announcement) }
        }
        return (a, b)
    }

    static func eventually(_ what: String, timeout: Duration = .seconds(10), _ condition: () async -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !(await condition()) {
            guard ContinuousClock.now < deadline else { throw OutcomeIterator.Timeout(description: what) }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    static func eventuallyTrue(timeout: Duration = .seconds(10), _ condition: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !(await condition()) {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    /// The bodies Kamailio holds for `user`'s presence.
    static func rowsAtKamailio(_ user: String) async throws -> [String] {
        let kamailio = try await TestServices.postgres(url: TestServices.kamailioDatabaseURL)
        defer { Task { await kamailio.close() } }
        return try await kamailio.query(
            "SELECT convert_from(body, 'UTF8') FROM presentity WHERE username = $1 AND event = 'presence'", [user]
        ).rows.map { $0[0] ?? "" }
    }

    @Test func eitherNodeModifiesWhatTheOtherPublishedAndOnlyTheHolderRefreshes() async throws {
        let store = InMemoryPresentityStore()
        let (a, b) = try await Self.pair(store: store)
        defer { Task { await a.close(); await b.close() } }
        let (uri, user) = try EngineHarness.presentity()
        let key = PublicationKey(presentity: uri.description, event: "presence")
        try await a.engine.sendPublish(PublishParameters(presentity: uri, event: "presence", body: EngineHarness.pidf(uri, "open"), expires: 600, source: .admin))
        #expect(try await a.next().1 == .published(statusCode: 200))
        #expect(await a.engine.publication(key)?.sharingTag == "ta", "a new record carries its node's tag")
        try await Self.eventually("B hears A's announcement") { await b.engine.announced[key] != nil }

        // B modifies it with A's ETag.
        try await b.engine.sendPublish(PublishParameters(presentity: uri, event: "presence", body: EngineHarness.pidf(uri, "closed"), expires: 600, source: .admin))
        let (modified, outcome) = try await b.next()
        #expect(outcome == .published(statusCode: 200))
        #expect(modified.sharingTag == "ta", "the record keeps its tag")
        let rows = try await Self.rowsAtKamailio(user)
        #expect(rows.count == 1 && rows.first?.contains("<basic>closed</basic>") == true, "\(rows)")
        let etagB = try #require(modified.etag)
        try await Self.eventually("A takes B's ETag") { await a.engine.publication(key)?.etag == etagB }

        // Only A (holding "ta") refreshes; B's timer is dropped.
        await b.engine.fireDueTimers(now: .now + .seconds(3600))
        #expect(await b.engine.transactionsInFlight == 0, "B does not refresh a record of a tag it does not hold")
        await a.engine.fireDueTimers(now: .now + .seconds(3600))
        let (refreshed, refreshOutcome) = try await a.next()
        #expect(refreshOutcome == .published(statusCode: 200), "A's refresh carries B's ETag: no 412")
        #expect(refreshed.etag != etagB)
        #expect(await a.engine.statistics().replies["412"] == nil)
        #expect(await b.engine.statistics().replies["412"] == nil)
        #expect(try await Self.rowsAtKamailio(user).count == 1)

        // B removes it (with the ETag of A's refresh, once heard); A forgets it silently.
        let heard = await Self.eventuallyTrue { await b.engine.publication(key)?.etag == refreshed.etag }
        let copyB = await b.engine.publication(key)
        let announcedB = await b.engine.announced[key]
        #expect(heard, "B: \(String(describing: copyB?.etag)) \(String(describing: copyB?.state)), announced \(String(describing: announcedB)), A's refresh \(String(describing: refreshed.etag))")
        try await b.engine.sendPublish(PublishParameters(presentity: uri, event: "presence", body: nil, expires: 0, source: .admin))
        #expect(try await b.next().1 == .removed)
        try await Self.eventually("A forgets it") { await a.engine.publication(key) == nil }
        #expect(try await Self.rowsAtKamailio(user).isEmpty)
    }

    @Test func anUpdateForAPublicationNeverAnnouncedIsLookedUpInTheStore() async throws {
        let store = InMemoryPresentityStore()
        let (a, b) = try await Self.pair(store: store, linked: false)
        defer { Task { await a.close(); await b.close() } }
        let (uri, user) = try EngineHarness.presentity()
        try await a.engine.sendPublish(PublishParameters(presentity: uri, event: "presence", body: EngineHarness.pidf(uri, "open"), expires: 600, source: .admin))
        _ = try await a.next()
        await a.engine.flush()

        // B never heard of it: it asks the store and modifies the stored publication.
        try await b.engine.sendPublish(PublishParameters(presentity: uri, event: "presence", body: EngineHarness.pidf(uri, "closed"), expires: 600, source: .admin))
        #expect(try await b.next().1 == .published(statusCode: 200))
        let rows = try await Self.rowsAtKamailio(user)
        #expect(rows.count == 1 && rows.first?.contains("<basic>closed</basic>") == true, "one row, modified: \(rows)")
        #expect(await b.engine.statistics().replies["412"] == nil)

        // A key the store does not know is a new publication.
        let (fresh, freshUser) = try EngineHarness.presentity()
        try await b.engine.sendPublish(PublishParameters(presentity: fresh, event: "presence", body: EngineHarness.pidf(fresh, "open"), expires: 600, source: .admin))
        #expect(try await b.next().1 == .published(statusCode: 200))
        #expect(try await Self.rowsAtKamailio(freshUser).count == 1)
        #expect(await b.engine.lookupsPending == 0)
    }

    @Test func aNodeTakingATagOverRefreshesItsRecordsAndRepublishesExpiredOnes() async throws {
        let store = InMemoryPresentityStore()
        let (a, b) = try await Self.pair(store: store, linked: false)
        defer { Task { await b.close() } }
        let (live, _) = try EngineHarness.presentity()
        let (lapsed, lapsedUser) = try EngineHarness.presentity()
        for uri in [live, lapsed] {
            try await a.engine.sendPublish(PublishParameters(presentity: uri, event: "presence", body: EngineHarness.pidf(uri, "open"), expires: 600, source: .admin))
            _ = try await a.next()
        }
        await a.engine.flush()
        await a.close()  // A is gone.
        // One of them lapsed at the server meanwhile (its stored lifetime ended).
        let lapsedKey = PublicationKey(presentity: lapsed.description, event: "presence")
        var old = try #require(await store.publication(lapsedKey))
        old.expiresAt = Date().timeIntervalSince1970 - 60
        try await store.upsert([old])
        let kamailio = try await TestServices.postgres(url: TestServices.kamailioDatabaseURL)
        _ = try await kamailio.query("DELETE FROM presentity WHERE username = $1", [lapsedUser])
        await kamailio.close()

        await b.engine.tagActivated("ta")
        #expect(await b.engine.heldTags == ["tb", "ta"])
        // The expired one is published again from the stored body (no SIP-If-Match, so no 412).
        let (republished, outcome) = try await b.next()
        #expect(republished.key == lapsedKey && outcome == .published(statusCode: 200))
        #expect(try await Self.rowsAtKamailio(lapsedUser).first?.contains("<basic>open</basic>") == true)
        // Both are refreshed from B when due (the live one with A's stored ETag).
        await b.engine.fireDueTimers(now: .now + .seconds(3600))
        let refreshes = [try await b.next(), try await b.next()]
        #expect(Set(refreshes.map(\.0.key.presentity)) == [live.description, lapsed.description])
        #expect(refreshes.allSatisfy { $0.1 == .published(statusCode: 200) })
        #expect(await b.engine.statistics().replies["412"] == nil)

        // Given up again: its timers no longer send anything.
        await b.engine.tagDeactivated("ta")
        await b.engine.fireDueTimers(now: .now + .seconds(7200))
        #expect(await b.engine.transactionsInFlight == 0)
    }

    @Test func announcementsOfEndedPublicationsAreForgotten() async throws {
        let store = InMemoryPresentityStore()
        let (a, b) = try await Self.pair(store: store, linked: false)
        defer { Task { await a.close(); await b.close() } }
        let now = Date().timeIntervalSince1970
        func announcement(_ user: String, _ change: PublicationAnnouncement.Change) -> PublicationAnnouncement {
            PublicationAnnouncement(key: PublicationKey(presentity: "sip:\(user)@127.0.0.1", event: "presence"), change: change,
                                    version: 1, sharingTag: "ta", node: "a")
        }
        await b.engine.announcementReceived(announcement("live", .published(etag: "e1", grantedExpires: 600, expiresAt: now + 600)))
        await b.engine.announcementReceived(announcement("lapsed", .published(etag: "e2", grantedExpires: 600, expiresAt: now - 1)))
        await b.engine.announcementReceived(announcement("gone", .removed))
        #expect(await b.engine.announced.count == 3)
        // A late announcement of the version a removal ended changes nothing.
        await b.engine.announcementReceived(announcement("gone", .published(etag: "e3", grantedExpires: 600, expiresAt: now + 600)))
        #expect(await b.engine.announced[PublicationKey(presentity: "sip:gone@127.0.0.1", event: "presence")]?.change == .removed)
        await b.engine.pruneAnnouncements()
        #expect(await b.engine.announced.keys.map(\.presentity) == ["sip:live@127.0.0.1"])
    }
}
