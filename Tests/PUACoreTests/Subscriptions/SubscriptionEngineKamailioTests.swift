import Foundation
import LamplighterTestSupport
import Logging
import NIOCore
import PresenceDocuments
import SIPCore
import SIPStack
import Synchronization
import Testing
@testable import PUACore

/// Subscriptions against the real Kamailio presence server: Lamplighter publishes a presentity and watches it
/// through its own subscription, seeing each change as a NOTIFY; an unknown NOTIFY gets 481.
@Suite struct SubscriptionEngineKamailioTests {
    /// A subscription engine on its own endpoint (the endpoint hands NOTIFYs to it), its events collected.
    final class Watcher: Sendable {
        let endpoint: SIPEndpoint
        let engine: SubscriptionEngine
        let log = EventLog()

        final class EventLog: Sendable {
            let events = Mutex<[SubscriptionEvent]>([])
        }

        var events: [SubscriptionEvent] { log.events.withLock { $0 } }

        /// - Parameters:
        ///   - server: where new SUBSCRIBEs go (the test Kamailio by default).
        ///   - store: where the engine keeps its subscriptions.
        init(
            server: String = TestServices.kamailioURI, store: any SubscriptionStore = InMemorySubscriptionStore(), updateContact: Bool = true
        ) async throws {
            endpoint = try await SIPEndpoint.bind(host: "127.0.0.1", port: 0, logger: EngineHarness.logger)
            let resolver = SIPResolver(dns: DNSClient(nameserver: try SocketAddress(ipAddress: "127.0.0.1", port: 1)))
            let transport = SIPPublishTransport(endpoint: endpoint, resolver: resolver, defaultNextHop: try SIPURI(parsing: server))
            let contact = SIPURI(host: "127.0.0.1", port: endpoint.localAddress.port ?? 0)
            let log = self.log
            engine = SubscriptionEngine(
                transport: transport, store: store, contact: contact, updateContact: updateContact, logger: EngineHarness.logger,
                observer: { event in log.events.withLock { $0.append(event) } })
            let engine = self.engine
            await endpoint.setRequestHandler { request, _ in await engine.notifyReceived(request) }
        }

        /// Bodies of the NOTIFYs so far, as text.
        var notifications: [(state: SIPSubscriptionState, body: String)] {
            events.compactMap {
                if case .notified(_, let state, let body, _) = $0 { (state, String(decoding: body, as: UTF8.self)) } else { nil }
            }
        }

        /// Waits until `condition` holds for the events.
        func wait(_ what: String, timeout: Duration = .seconds(10), until condition: ([SubscriptionEvent]) -> Bool) async throws {
            let deadline = ContinuousClock.now + timeout
            while !condition(events) {
                guard ContinuousClock.now < deadline else { throw OutcomeIterator.Timeout(description: "\(what); events: \(events)") }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
    }

    /// A presentity of its own published "open" at Kamailio, and its publisher (to change it and to close).
    static func publishedPresentity() async throws -> (EngineHarness, SIPURI) {
        let publisher = try await EngineHarness.kamailio()
        let (presentity, _) = try EngineHarness.presentity()
        try await publisher.engine.sendPublish(PublishParameters(
            presentity: presentity, event: "presence", body: EngineHarness.pidf(presentity, "open"), expires: 600, source: .admin))
        _ = try await publisher.next()
        return (publisher, presentity)
    }

    @Test func aSubscriptionSeesEachChangeOfAPublicationAndEndsOnUnsubscribe() async throws {
        let (publisher, presentity) = try await Self.publishedPresentity()
        defer { Task { await publisher.close() } }

        let watcher = try await Watcher()
        defer { Task { await watcher.endpoint.close() } }
        // Callbacks hear the subscriptions of their sources only.
        let heard = Watcher.EventLog(), unheard = Watcher.EventLog()
        _ = await watcher.engine.registerCallback(for: [.admin]) { event in heard.events.withLock { $0.append(event) } }
        let other = await watcher.engine.registerCallback(for: [.voicemail]) { event in unheard.events.withLock { $0.append(event) } }
        await watcher.engine.sendSubscribe(SubscribeParameters(
            id: "w1", resource: presentity, watcher: SIPURI(user: "gw", host: "127.0.0.1"), event: "presence",
            accept: ["application/pidf+xml"], expires: 600, source: .admin))
        try await watcher.wait("the first NOTIFY shows the published state") { _ in
            watcher.notifications.contains { $0.body.contains("<basic>open</basic>") }
        }
        #expect(await watcher.engine.state(of: "w1") == .active)
        #expect(watcher.notifications.first?.state.state == .active)
        #expect(heard.events.withLock { $0 }.contains { if case .notified(let id, _, _, _) = $0 { id == "w1" } else { false } })
        #expect(unheard.events.withLock { $0 }.isEmpty)
        let removed = await watcher.engine.unregisterCallback(other)
        let removedAgain = await watcher.engine.unregisterCallback(other)
        #expect(removed && !removedAgain)
        // is_dialog answers for the subscription's dialog, through the whole agent too.
        let dialog = try #require(await watcher.engine.subscription("w1").flatMap { s in s.remoteTag.map { SIPDialogID(callID: s.callID, localTag: s.localTag, remoteTag: $0) } })
        let agent = PresenceAgent(publications: publisher.engine, subscriptions: watcher.engine)
        #expect(await agent.isDialog(dialog))
        #expect(await agent.isDialog(SIPDialogID(callID: dialog.callID, localTag: dialog.localTag, remoteTag: "other")) == false)

        // A change of the publication reaches the watcher.
        try await publisher.engine.sendPublish(PublishParameters(
            presentity: presentity, event: "presence", body: EngineHarness.pidf(presentity, "closed"), expires: 600, source: .admin))
        try await watcher.wait("the change is notified") { _ in watcher.notifications.contains { $0.body.contains("<basic>closed</basic>") } }

        // Unsubscribe: a final NOTIFY (terminated) and the end.
        await watcher.engine.unsubscribe(id: "w1")
        try await watcher.wait("the subscription ends") { events in
            events.contains { if case .terminated(let id, let end) = $0 { id == "w1" && end.reason == "unsubscribed" } else { false } }
        }
        #expect(await watcher.engine.state(of: "w1") == nil)
    }

    @Test func aRefreshAfterTheServerForgotTheDialogRecreatesTheSubscription() async throws {
        let (publisher, presentity) = try await Self.publishedPresentity()
        defer { Task { await publisher.close() } }
        // A presence server of this test's own (same presentity table), keeping subscriptions in memory only.
        let server = try await KamailioSandbox()
        defer { Task { try? await server.remove() } }
        let watcher = try await Watcher(server: server.uri)
        defer { Task { await watcher.endpoint.close() } }
        await watcher.engine.sendSubscribe(SubscribeParameters(
            id: "r", resource: presentity, watcher: SIPURI(user: "gw", host: "127.0.0.1"), event: "presence",
            accept: ["application/pidf+xml"], expires: 600, source: .admin))
        try await watcher.wait("the first NOTIFY") { _ in watcher.notifications.contains { $0.body.contains("<basic>open</basic>") } }
        let before = try #require(await watcher.engine.subscription("r"))
        #expect(before.state == .active)

        // The server restarts and forgets the subscription; the refresh gets 481 and a new dialog is made.
        try await server.stop()
        try await server.start()
        let notifiedBefore = watcher.notifications.count
        await watcher.engine.fireDueTimers(now: .now + .seconds(600))
        try await watcher.wait("a NOTIFY in a new dialog") { _ in watcher.notifications.count > notifiedBefore }
        let after = try #require(await watcher.engine.subscription("r"))
        #expect(after.callID != before.callID && after.remoteTag != nil && after.remoteTag != before.remoteTag)
        #expect(after.state == .active)
        #expect(watcher.notifications.last?.body.contains("<basic>open</basic>") == true)
        #expect(!watcher.events.contains { if case .terminated = $0 { true } else { false } }, "never reported dead")
        try await server.remove()
    }

    @Test func aWinfoSubscriptionSeesASippWatcherArriveAndLeave() async throws {
        let (presentity, user) = try EngineHarness.presentity()
        let watcher = try await Watcher()
        defer { Task { await watcher.endpoint.close() } }
        await watcher.engine.sendSubscribe(SubscribeParameters(
            id: "winfo", resource: presentity, watcher: presentity, event: "presence.winfo",
            accept: ["application/watcherinfo+xml"], expires: 600, source: .admin))
        try await watcher.wait("the first watcherinfo NOTIFY") { events in
            events.contains { if case .watchers(let id, _, _, _) = $0 { id == "winfo" } else { false } }
        }
        func watchers(_ events: [SubscriptionEvent]) -> [[WatcherInfoDocument.Watcher]] {
            events.compactMap { if case .watchers(_, _, "presence", let list) = $0 { list } else { nil } }
        }

        // A phone (sipp) subscribes to the presentity's presence, takes one NOTIFY and unsubscribes.
        let phone = try await Sipp.watch(user, notifies: 1)
        try await watcher.wait("the phone arrives") { events in
            watchers(events).contains { $0.contains { $0.status == .active && $0.uri.contains("sipp") } }
        }
        #expect(try await phone.waitForExit(timeout: .seconds(15)) == 0, "\(phone.errorLog)")
        try await watcher.wait("the phone leaves") { events in
            guard let last = watchers(events).last else { return false }
            return !last.contains { $0.uri.contains("sipp") }
        }
        await watcher.engine.unsubscribe(id: "winfo")
    }

    @Test func aNotifyOfNoSubscriptionGets481() async throws {
        let watcher = try await Watcher()
        defer { Task { await watcher.endpoint.close() } }
        let peer = try await SIPEndpoint.bind(host: "127.0.0.1", port: 0, logger: EngineHarness.logger)
        defer { Task { await peer.close() } }
        var headers = SIPHeaders()
        headers.add("From", "<sip:ps@127.0.0.1>;tag=x")
        headers.add("To", "<sip:gw@127.0.0.1>;tag=y")
        headers.add("Call-ID", "nobody@here")
        headers.add("CSeq", "1 NOTIFY")
        headers.add("Event", "presence")
        headers.add("Subscription-State", "active;expires=600")
        let notify = SIPRequest(method: .notify, uri: SIPURI(host: "127.0.0.1", port: watcher.endpoint.localAddress.port ?? 0), headers: headers)
        let response = try await peer.send(notify, to: watcher.endpoint.localAddress)
        #expect(response.statusCode == 481)
    }
}
