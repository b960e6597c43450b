import Foundation
import LamplighterTestSupport
import SIPCore
import SIPStack
import Testing
@testable import PUACore

/// Subscriptions written to a store and taken up by a new engine (a restarted daemon), against the real
/// Kamailio presence server: one in force keeps its dialog, one the server does not know is re-created.
@Suite struct SubscriptionEnginePersistenceTests {
    typealias Watcher = SubscriptionEngineKamailioTests.Watcher

    func notified(_ watcher: Watcher, _ basic: String) -> Bool {
        watcher.notifications.contains { $0.body.contains("<basic>\(basic)</basic>") }
    }

    @Test func aStoredSubscriptionResumesInItsDialogAndAForgottenOneIsRecreated() async throws {
        let publisher = try await EngineHarness.kamailio()
        defer { Task { await publisher.close() } }
        let (presentity, _) = try EngineHarness.presentity()
        func publish(_ basic: String) async throws {
            try await publisher.engine.sendPublish(PublishParameters(
                presentity: presentity, event: "presence", body: EngineHarness.pidf(presentity, basic), expires: 600, source: .admin))
            _ = try await publisher.next()
        }
        try await publish("open")
        let store = InMemorySubscriptionStore()
        let parameters = SubscribeParameters(
            id: "gw", resource: presentity, watcher: SIPURI(user: "gw", host: "127.0.0.1"), event: "presence",
            accept: ["application/pidf+xml"], expires: 600, source: .admin)

        // The first node subscribes and writes the subscription.
        let first = try await Watcher(store: store)
        await first.engine.sendSubscribe(parameters)
        try await first.wait("the first NOTIFY") { _ in notified(first, "open") }
        #expect(await first.engine.state(of: "gw") == .active)
        await first.engine.flush()
        #expect(await first.engine.unflushedCount == 0)
        let stored = try #require(await store.subscription("gw"))
        let live = try #require(await first.engine.subscription("gw"))
        #expect(stored.state == .active && stored.remoteTag != nil && stored.remoteTag == live.remoteTag)
        #expect(stored.callID == live.callID && stored.localSequence == 1 && stored.grantedExpires == 600)
        let expiresAt = try #require(stored.expiresAt)
        #expect(abs(expiresAt - (Date().timeIntervalSince1970 + 600)) < 30)
        // It dies without unsubscribing (kill -9): its endpoint goes, the dialog stays at Kamailio.
        await first.endpoint.close()

        // The next node (another Contact) takes it up: the same dialog, refreshed at once to move the target.
        let second = try await Watcher(store: store)
        defer { Task { await second.endpoint.close() } }
        let recovered = try await second.engine.recover()
        #expect(recovered == (resumed: 1, resubscribed: 0))
        try await second.wait("the refresh's NOTIFY arrives at the new Contact") { _ in notified(second, "open") }
        let resumed = try #require(await second.engine.subscription("gw"))
        #expect(resumed.callID == stored.callID && resumed.remoteTag == stored.remoteTag && resumed.localTag == stored.localTag)
        #expect(resumed.localSequence == 102, "the CSeq went on past anything sent and not stored")
        #expect(resumed.state == .active)
        try await publish("closed")
        try await second.wait("a change reaches the resumed subscription") { _ in notified(second, "closed") }

        // A dialog Kamailio never had (as after it forgot its subscriptions): the refresh gets 481 and the
        // subscription is made again in a new dialog, not left dead.
        var forgotten = try #require(await store.subscription("gw"))
        forgotten.parameters.id = "gw-forgotten"
        forgotten.callID = UniqueNames.make("gone") + "@lamplighter"
        forgotten.remoteTag = "never-issued"
        let third = try await Watcher(store: InMemorySubscriptionStore([forgotten]))
        defer { Task { await third.endpoint.close() } }
        #expect(try await third.engine.recover() == (resumed: 1, resubscribed: 0))
        try await third.wait("re-created after the 481") { _ in notified(third, "closed") }
        let recreated = try #require(await third.engine.subscription("gw-forgotten"))
        #expect(recreated.callID != forgotten.callID && recreated.remoteTag != "never-issued")
        #expect(recreated.state == .active)

        // Ended: the row is deleted at the next flush.
        await second.engine.unsubscribe(id: "gw")
        try await second.wait("the subscription ends") { events in
            events.contains { if case .terminated("gw", _) = $0 { true } else { false } }
        }
        await second.engine.flush()
        #expect(await store.subscription("gw") == nil)
    }

    @Test func aFailedWriteKeepsTheChangesForTheNextFlush() async throws {
        let (presentity, _) = try EngineHarness.presentity()
        // Stored while ending, and expired since: taken up, it just ends, and its row is to be deleted.
        let ending = SubscriptionSnapshot(
            parameters: SubscribeParameters(id: "ending", resource: presentity, watcher: presentity, event: "presence", source: .admin),
            state: .terminating, grantedExpires: 600, expiresAt: Date().timeIntervalSince1970 - 5, callID: "e@lamplighter",
            localTag: "l", remoteTag: "r", localSequence: 4, contact: SIPURI(host: "127.0.0.1", port: 5999))
        let store = InMemorySubscriptionStore([ending])
        let watcher = try await Watcher(server: "sip:127.0.0.1:1", store: store)
        defer { Task { await watcher.endpoint.close() } }
        #expect(try await watcher.engine.recover() == (resumed: 1, resubscribed: 0))
        #expect(await watcher.engine.subscription("ending") == nil)
        // A new one (its SUBSCRIBE goes nowhere: it stays establishing).
        await watcher.engine.sendSubscribe(SubscribeParameters(
            id: "w", resource: presentity, watcher: presentity, event: "presence", source: .admin))
        await store.setFailure(PresentityStoreError(code: .unavailable, context: "database down"))
        await watcher.engine.flush()
        #expect(await watcher.engine.unflushedCount == 2, "the write and the deletion wait")
        #expect(await store.subscription("ending") != nil)
        await store.setFailure(nil)
        await watcher.engine.flush()
        #expect(await watcher.engine.unflushedCount == 0)
        #expect(await store.subscription("w")?.state == .establishing)
        #expect(await store.subscription("ending") == nil)
        #expect(await store.count == 1)
    }
}
