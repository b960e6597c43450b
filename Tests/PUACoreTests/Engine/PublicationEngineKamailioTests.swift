import Foundation
import LamplighterTestSupport
import SIPCore
import SIPStack
import Testing
@testable import PUACore

/// The engine against the real Kamailio presence server started by deploy/test (presence.cfg): what the server
/// holds is read back from its own presentity table. Refreshes are fired by handing the engine a later instant,
/// never by waiting.
@Suite struct PublicationEngineKamailioTests {
    @Test func initialModifyRefreshAndRemoval() async throws {
        let harness = try await EngineHarness.kamailio()
        defer { Task { await harness.close() } }
        let engine = harness.engine
        let (uri, user) = try EngineHarness.presentity()
        let open = EngineHarness.pidf(uri, "open")

        // Initial: no SIP-If-Match, full body; the SIP-ETag and the granted Expires are kept.
        try await engine.sendPublish(PublishParameters(presentity: uri, event: "presence", body: open, expires: 600, source: .admin))
        let (first, outcome1) = try await harness.next()
        #expect(outcome1 == .published(statusCode: 200))
        let etag1 = try #require(first.etag)
        #expect(first.grantedExpires == 600)
        await engine.flush()
        #expect(await harness.store.publication(first.key)?.etag == etag1)
        #expect(first.state == .published)
        var rows = try await KamailioPresentities.rows(user: user)
        #expect(rows.map(\.etag) == [etag1])
        // The stable tuple id was stamped into the tuple that had none.
        #expect(rows.first?.body.contains("<tuple id=\"\(first.tupleID)\">") == true)
        #expect(rows.first?.body.contains("<basic>open</basic>") == true)

        // The same body again is not sent.
        let key = PublicationKey(presentity: uri.description, event: "presence")
        let cseqBefore = await engine.table[key]?.cseq
        try await engine.sendPublish(PublishParameters(presentity: uri, event: "presence", body: open, expires: 600, source: .admin))
        #expect(await engine.table[key]?.cseq == cseqBefore)
        #expect(await engine.transactionsInFlight == 0)

        // Modify: SIP-If-Match and the new body.
        try await engine.sendPublish(PublishParameters(
            presentity: uri, event: "presence", body: EngineHarness.pidf(uri, "closed"), expires: 600, source: .admin))
        let (second, outcome2) = try await harness.next()
        #expect(outcome2 == .published(statusCode: 200))
        let etag2 = try #require(second.etag)
        rows = try await KamailioPresentities.rows(user: user)
        #expect(rows.count == 1)
        #expect(rows.first?.etag == etag2)
        #expect(rows.first?.body.contains("<basic>closed</basic>") == true)

        // Refresh (the timer, fired by handing the engine a later instant): no body, and Kamailio issues a new ETag.
        await engine.fireDueTimers(now: .now + .seconds(600))
        let (third, outcome3) = try await harness.next()
        #expect(outcome3 == .published(statusCode: 200))
        let etag3 = try #require(third.etag)
        #expect(etag3 != etag2)
        rows = try await KamailioPresentities.rows(user: user)
        #expect(rows.map(\.etag) == [etag3])
        #expect(rows.first?.body.contains("<basic>closed</basic>") == true, "a bodyless refresh keeps the body")
        // And once more: every refresh's ETag replaces the last.
        await engine.fireDueTimers(now: .now + .seconds(1200))
        let (fourth, _) = try await harness.next()
        #expect(fourth.etag != etag3)
        #expect(try await KamailioPresentities.rows(user: user).map(\.etag) == [try #require(fourth.etag)])

        // The seed's is_dialog: the publication's Call-ID and tags are ours; any other triple is not.
        let dialog = try #require(await engine.dialog(of: key))
        #expect(await engine.isDialog(dialog))
        #expect(await engine.isDialog(SIPDialogID(callID: dialog.callID, localTag: dialog.localTag, remoteTag: "other")) == false)
        #expect(await engine.isDialog(SIPDialogID(callID: "unknown@host", localTag: dialog.localTag, remoteTag: dialog.remoteTag)) == false)

        // Removal: SIP-If-Match + Expires 0, then the record is forgotten.
        try await engine.sendPublish(PublishParameters(presentity: uri, event: "presence", expires: 0, source: .admin))
        let (_, outcome5) = try await harness.next()
        #expect(outcome5 == .removed)
        #expect(await engine.publication(key) == nil)
        #expect(await engine.isDialog(dialog) == false, "a removed publication's dialog is gone")
        #expect(try await KamailioPresentities.rows(user: user).isEmpty)
        await engine.flush()
        #expect(await harness.store.count == 0, "the removal reached the store")
    }

    @Test func updatesWhileAPublishIsInFlightCoalesceAndTheLatestWins() async throws {
        let harness = try await EngineHarness.kamailio()
        defer { Task { await harness.close() } }
        let (uri, user) = try EngineHarness.presentity()
        let key = PublicationKey(presentity: uri.description, event: "presence")
        // Three updates in one go: the first goes out, the other two wait and only the last is sent.
        try await harness.engine.sendPublish(PublishParameters(presentity: uri, event: "presence", body: EngineHarness.pidf(uri, "open"), source: .admin))
        try await harness.engine.sendPublish(PublishParameters(presentity: uri, event: "presence", body: EngineHarness.pidf(uri, "closed"), source: .admin))
        #expect(await harness.engine.publication(key)?.hasPendingUpdate == true)
        try await harness.engine.sendPublish(PublishParameters(presentity: uri, event: "presence", body: EngineHarness.pidf(uri, "busy"), source: .admin))
        #expect(await harness.engine.transactionsInFlight == 1)
        _ = try await harness.next()
        let (last, _) = try await harness.next()
        #expect(last.hasPendingUpdate == false)
        #expect(await harness.engine.table[key]?.cseq == 2, "two PUBLISH requests, not three")
        let rows = try await KamailioPresentities.rows(user: user)
        #expect(rows.count == 1)
        #expect(rows.first?.body.contains("<basic>busy</basic>") == true)
        #expect(rows.first?.etag == last.etag)
    }

    @Test func afterTheServerForgetsThePublicationA412RepublishesTheFullBody() async throws {
        let harness = try await EngineHarness.kamailio()
        defer { Task { await harness.close() } }
        let (uri, user) = try EngineHarness.presentity()
        try await harness.engine.sendPublish(PublishParameters(presentity: uri, event: "presence", body: EngineHarness.pidf(uri, "open"), source: .admin))
        let (first, _) = try await harness.next()

        try await KamailioPresentities.forget(user: user)
        // The bodyless refresh gets 412; the engine drops the ETag and publishes the full body afresh.
        await harness.engine.fireDueTimers(now: .now + .seconds(3600))
        let (second, outcome) = try await harness.next()
        #expect(outcome == .published(statusCode: 200))
        #expect(second.etag != first.etag)
        let rows = try await KamailioPresentities.rows(user: user)
        #expect(rows.map(\.etag) == [try #require(second.etag)])
        #expect(rows.first?.body.contains("<basic>open</basic>") == true)
        #expect(await harness.engine.table[PublicationKey(presentity: uri.description, event: "presence")]?.cseq == 3)
    }

    @Test func anIntervalTooBriefIsRetriedWithTheServersMinimum() async throws {
        let harness = try await EngineHarness.kamailio()
        defer { Task { await harness.close() } }
        let (uri, user) = try EngineHarness.presentity()
        // deploy/kamailio/presence.cfg answers 423 with Min-Expires: 60 below 60 s.
        try await harness.engine.sendPublish(PublishParameters(
            presentity: uri, event: "presence", body: EngineHarness.pidf(uri, "open"), expires: 30, source: .admin))
        let (snapshot, outcome) = try await harness.next()
        #expect(outcome == .published(statusCode: 200))
        #expect(snapshot.grantedExpires == 60)
        #expect(await harness.engine.table[snapshot.key]?.cseq == 2)
        let now = Int(Date().timeIntervalSince1970)
        let expires = try #require(try await KamailioPresentities.rows(user: user).first?.expires)
        #expect((now + 50...now + 70).contains(expires))
    }

    @Test func anEventTheServerDoesNotKnowIsABadEventAndNotRetried() async throws {
        let harness = try await EngineHarness.kamailio()
        defer { Task { await harness.close() } }
        let (uri, _) = try EngineHarness.presentity()
        try await harness.engine.addEvent(PresenceEvent(name: "x-lamplighter-test", contentType: "text/plain"))
        try await harness.engine.sendPublish(PublishParameters(
            presentity: uri, event: "x-lamplighter-test", body: Array("hello".utf8), source: .admin))
        let (snapshot, outcome) = try await harness.next()
        #expect(outcome == .failed(PublishFailure(code: .badEvent, statusCode: 489, willRetry: false)))
        #expect(snapshot.state == .failed)
        #expect(snapshot.lastReply?.statusCode == 489)
        #expect(await harness.engine.nextTimer == nil, "nothing is retried until the next update")
    }

    @Test func aWatcherIsNotifiedOfEachPublishedState() async throws {
        let harness = try await EngineHarness.kamailio()
        defer { Task { await harness.close() } }
        let (uri, user) = try EngineHarness.presentity()
        // NOTIFYs: right after the 2xx (nothing published yet), then one per publication state. The watcher
        // waits for more than that and is stopped at the end: a NOTIFY retransmitted on a loaded machine could
        // otherwise count as the last one expected and end it early.
        let watcher = try await Sipp.watch(user, event: "presence", notifies: 10, timeout: .seconds(40))
        defer { watcher.stop() }
        #expect(await watcher.waitUntilReceived(2, timeout: .seconds(10)), "subscribed: \(watcher.messageLog)")

        try await harness.engine.sendPublish(PublishParameters(presentity: uri, event: "presence", body: EngineHarness.pidf(uri, "open"), source: .admin))
        #expect(try await harness.next().1 == .published(statusCode: 200))
        let opened = await watcher.waitForNotify(containing: "<basic>open</basic>", timeout: .seconds(15))
        #expect(opened != nil, "notified of open: \(watcher.messageLog)")
        try await harness.engine.sendPublish(PublishParameters(presentity: uri, event: "presence", body: EngineHarness.pidf(uri, "closed"), source: .admin))
        #expect(try await harness.next().1 == .published(statusCode: 200))
        let closed = await watcher.waitForNotify(containing: "<basic>closed</basic>", after: (opened ?? 0) + 1, timeout: .seconds(15))
        #expect(closed != nil, "notified of closed after open: \(watcher.messageLog)")

        let bodies = watcher.notifyBodies
        #expect(bodies.count >= 3, "the initial NOTIFY, then open, then closed: \(bodies)")
        if let opened { #expect(opened >= 1 && !bodies[opened].contains("pidf:basic"), "default namespace, as phones parse it") }
    }

    @Test func aRestartedEngineResumesFromItsStore() async throws {
        let store = InMemoryPresentityStore()
        let (uri, user) = try EngineHarness.presentity()
        let key = PublicationKey(presentity: uri.description, event: "presence")
        let first = try await EngineHarness(nextHop: try SIPURI(parsing: TestServices.kamailioURI), store: store)
        try await first.engine.sendPublish(PublishParameters(presentity: uri, event: "presence", body: EngineHarness.pidf(uri, "open"), expires: 600, source: .admin))
        let (published, _) = try await first.next()
        await first.engine.flush()
        await first.close()

        // A new process: same store, fresh endpoint. The server still holds the publication: no PUBLISH now.
        let second = try await EngineHarness(nextHop: try SIPURI(parsing: TestServices.kamailioURI), store: store)
        defer { Task { await second.close() } }
        let counts = try await second.engine.recover()
        #expect(counts.resumed >= 1)
        #expect(await second.engine.transactionsInFlight == 0)
        let resumed = try #require(await second.engine.publication(key))
        #expect(resumed.etag == published.etag)
        #expect(resumed.tupleID == published.tupleID)
        // Its refresh uses the stored ETag, which Kamailio accepts.
        await second.engine.fireDueTimers(now: .now + .seconds(600))
        let (refreshed, outcome) = try await second.next()
        #expect(outcome == .published(statusCode: 200))
        #expect(try await KamailioPresentities.rows(user: user).map(\.etag) == [try #require(refreshed.etag)])
    }

    @Test func aStoredPublicationThatExpiredIsPublishedOnceFromItsBody() async throws {
        let store = InMemoryPresentityStore()
        let (uri, user) = try EngineHarness.presentity()
        let body = EngineHarness.pidf(uri, "open")
        try await store.upsert([PublicationSnapshot(
            key: PublicationKey(presentity: uri.description, event: "presence"), state: .published, etag: "long-gone",
            grantedExpires: 600, expiresAt: 1_000, desiredExpires: 600, body: body, contentType: "application/pidf+xml",
            version: 0, tupleID: "t-stored", lastReply: nil, lastFailure: nil, hasPendingUpdate: false, source: .registrations,
            sharingTag: nil, extraHeaders: [], outboundProxy: nil, sourceDigest: nil)])
        let harness = try await EngineHarness(nextHop: try SIPURI(parsing: TestServices.kamailioURI), store: store)
        defer { Task { await harness.close() } }
        let counts = try await harness.engine.recover()
        #expect(counts.republished == 1)
        let (snapshot, outcome) = try await harness.next()
        #expect(outcome == .published(statusCode: 200), "an initial PUBLISH, not a 412 on the old ETag")
        #expect(snapshot.etag != "long-gone")
        let rows = try await KamailioPresentities.rows(user: user)
        #expect(rows.count == 1)
        #expect(rows.first?.body.contains("<basic>open</basic>") == true)
    }

    @Test func callbacksAreCalledOnlyForTheirSources() async throws {
        let harness = try await EngineHarness.kamailio()
        defer { Task { await harness.close() } }
        let seen = SourceLog()
        _ = await harness.engine.registerCallback(for: [.dialogs]) { snapshot, _ in seen.append(snapshot.source) }
        let (uri, _) = try EngineHarness.presentity()
        try await harness.engine.sendPublish(PublishParameters(presentity: uri, event: "presence", body: EngineHarness.pidf(uri, "open"), source: .registrations))
        _ = try await harness.next()
        try await harness.engine.sendPublish(PublishParameters(presentity: uri, event: "presence", body: EngineHarness.pidf(uri, "closed"), source: .dialogs))
        _ = try await harness.next()
        // Callbacks run on the engine one after the other: one more call into it waits for the rest of them.
        _ = await harness.engine.publicationCount
        #expect(seen.values == [.dialogs])
    }
}

final class SourceLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [PublicationSource] = []
    func append(_ source: PublicationSource) { lock.withLock { stored.append(source) } }
    var values: [PublicationSource] { lock.withLock { stored } }
}
