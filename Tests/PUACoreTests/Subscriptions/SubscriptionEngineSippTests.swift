import LamplighterTestSupport
import SIPCore
import Testing
@testable import PUACore

/// The engine against sipp playing a notifier whose NOTIFY carries a new Contact.
@Suite struct SubscriptionEngineSippTests {
    @Test(arguments: [true, false])
    func aNotifyWithANewContactMovesTheNextRefresh(updateContact: Bool) async throws {
        let sipp = try await Sipp.start(.notifierMoves, in: Sipp.supportScenarios)
        defer { sipp.stop() }
        let watcher = try await SubscriptionEngineKamailioTests.Watcher(
            server: "sip:127.0.0.1:\(sipp.port)", updateContact: updateContact)
        defer { Task { await watcher.endpoint.close() } }
        await watcher.engine.sendSubscribe(SubscribeParameters(
            id: "m", resource: SIPURI(user: "201", host: "127.0.0.1", port: sipp.port), watcher: SIPURI(user: "gw", host: "127.0.0.1"),
            event: "presence", expires: 600, source: .admin))
        do {
            try await watcher.wait("the NOTIFY") { _ in !watcher.notifications.isEmpty }
        } catch {
            sipp.stop()
            Issue.record("\(error); sipp errors: \(sipp.errorLog); messages: \(sipp.messageLog)")
            return
        }
        #expect(await watcher.engine.state(of: "m") == .active)
        let expected = updateContact ? "moved" : "first"
        #expect(await watcher.engine.subscription("m")?.remoteTarget?.user == expected)
        await watcher.engine.fireDueTimers(now: .now + .seconds(600))
        #expect(try await sipp.waitForExit(timeout: .seconds(10)) == 0, "\(sipp.errorLog)")
        let subscribes = sipp.requests("SUBSCRIBE")
        #expect(subscribes.count == 2)
        #expect(subscribes.last?.firstLine.hasPrefix("SUBSCRIBE sip:\(expected)@127.0.0.1:\(sipp.port) ") == true, "\(subscribes.map(\.firstLine))")
        #expect(subscribes.last?.text.contains("CSeq: 2 SUBSCRIBE") == true)
    }
}
