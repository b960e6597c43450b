import Foundation
import LamplighterTestSupport
import PUACore
import SIPCore
import Testing
@testable import Feeds

/// Event on Redis → feed service → PUBLISH → the real Kamailio → what a real watcher (sipp) is NOTIFYed.
@Suite struct FeedEndToEndTests {
    @Test func registerUnregisterAndExpireDriveTheLamp() async throws {
        let pipeline = try await FeedPipeline()
        defer { Task { await pipeline.close() } }
        let user = UniqueNames.make("ext")
        let aor = "sip:\(user)@127.0.0.1"
        let watcher = try await Sipp.watch(user, event: "presence", notifies: 5, timeout: .seconds(30))
        defer { watcher.stop() }
        #expect(await watcher.waitForNotifies(1), "subscribed: \(watcher.messageLog)")

        try await pipeline.send(.registrations, #"{"event":"contact-insert","aor":"\#(aor)","contact":"sip:\#(user)@192.0.2.10:5060","expires":600,"seq":1}"#)
        #expect(await watcher.waitForNotifies(2), "register: \(watcher.messageLog)")
        var bodies = watcher.notifyBodies
        #expect(bodies.last?.contains("<basic>open</basic>") == true, "\(bodies.last ?? "")")
        #expect(bodies.last?.contains("sip:\(user)@192.0.2.10:5060") == true)

        try await pipeline.send(.registrations, #"{"event":"contact-delete","aor":"\#(aor)","contact":"sip:\#(user)@192.0.2.10:5060","seq":2}"#)
        #expect(await watcher.waitForNotifies(3), "unregister: \(watcher.messageLog)")
        bodies = watcher.notifyBodies
        #expect(bodies.last?.contains("<basic>closed</basic>") == true, "\(bodies.last ?? "")")

        // Registered again, then expired by the registrar's event.
        try await pipeline.send(.registrations, #"{"event":"contact-insert","aor":"\#(aor)","contact":"sip:\#(user)@192.0.2.11","expires":600,"seq":3}"#)
        #expect(await watcher.waitForNotifies(4))
        try await pipeline.send(.registrations, #"{"event":"contact-expire","aor":"\#(aor)","contact":"sip:\#(user)@192.0.2.11","seq":4}"#)
        #expect(await watcher.waitForNotifies(5))
        bodies = watcher.notifyBodies
        #expect(bodies.count >= 5)
        guard bodies.count >= 5 else { return }
        #expect(bodies[3].contains("<basic>open</basic>"))
        #expect(bodies[4].contains("<basic>closed</basic>"))
        #expect(bodies.allSatisfy { !$0.contains("pidf:basic") })
        #expect(try await watcher.waitForExit(timeout: .seconds(15)) == 0, "\(watcher.errorLog)")
    }

    @Test func aContactThatSilentlyExpiresClosesTheLamp() async throws {
        let clock = ManualClock(1_790_000_000)
        let pipeline = try await FeedPipeline(clock: { clock.now })
        defer { Task { await pipeline.close() } }
        let user = UniqueNames.make("ext")
        let watcher = try await Sipp.watch(user, event: "presence", notifies: 3, timeout: .seconds(30))
        defer { watcher.stop() }
        #expect(await watcher.waitForNotifies(1))
        try await pipeline.send(.registrations, #"{"event":"contact-insert","aor":"sip:\#(user)@127.0.0.1","contact":"sip:\#(user)@192.0.2.10","expires":120}"#)
        #expect(await watcher.waitForNotifies(2))
        // No event: the contact's 120 s pass (the clock is handed forward, nothing sleeps).
        await pipeline.service.fireDueChecks(now: clock.now + 121)
        #expect(await watcher.waitForNotifies(3))
        #expect(watcher.notifyBodies.last?.contains("<basic>closed</basic>") == true)
    }

    @Test func aCallThroughEarlyConfirmedTerminatedLightsTheBLFLamp() async throws {
        let pipeline = try await FeedPipeline()
        defer { Task { await pipeline.close() } }
        let caller = UniqueNames.make("a"), callee = UniqueNames.make("b")
        // The callee's BLF lamp: after the initial NOTIFY, early, confirmed, terminated.
        let watcher = try await Sipp.watch(callee, event: "dialog", notifies: 4, timeout: .seconds(30))
        defer { watcher.stop() }
        #expect(await watcher.waitForNotifies(1), "subscribed: \(watcher.messageLog)")
        func event(_ state: String, _ seq: Int) -> String {
            #"{"state":"\#(state)","callid":"call-\#(callee)","from":"sip:\#(caller)@127.0.0.1","to":"sip:\#(callee)@127.0.0.1","from_tag":"ft1","to_tag":"tt1","seq":\#(seq)}"#
        }
        try await pipeline.send(.dialogs, event("trying", 1))  // not published (publish_on_trying off)
        try await pipeline.send(.dialogs, event("early", 2))
        #expect(await watcher.waitForNotifies(2), "early: \(watcher.messageLog)")
        try await pipeline.send(.dialogs, event("confirmed", 3))
        #expect(await watcher.waitForNotifies(3))
        try await pipeline.send(.dialogs, event("terminated", 4))
        #expect(await watcher.waitForNotifies(4))
        // A late "early" after "terminated" cannot relight the lamp.
        try await pipeline.send(.dialogs, event("early", 3))
        #expect(await pipeline.service.stale == 1)
        #expect(try await watcher.waitForExit(timeout: .seconds(15)) == 0, "\(watcher.errorLog)")
        let states = watcher.notifyBodies.dropFirst().map { body in
            body.components(separatedBy: "<state>").dropFirst().map { String($0.prefix { $0 != "<" }) }
        }
        #expect(states.prefix(3).map { $0 } == [["early"], ["confirmed"], ["terminated"]], "\(watcher.notifyBodies)")
        let early = watcher.notifyBodies.dropFirst().first ?? ""
        #expect(early.contains("direction=\"recipient\""))
        #expect(early.contains("<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\""))
    }

    @Test func badInputIsCountedAndNeverStallsTheFeed() async throws {
        let pipeline = try await FeedPipeline()
        defer { Task { await pipeline.close() } }
        try await pipeline.send(.registrations, "{not json")
        try await pipeline.send(.registrations, #"{"event":"contact-insert","aor":"sip:x@127.0.0.1","contact":"sip:x@h"}"#)
        try await pipeline.send(.dialogs, #"{"state":"ringing","callid":"c","from":"sip:a@h","to":"sip:b@h","from_tag":"t"}"#)
        try await pipeline.send(.mwi, #"{"aor":"tel:+1555","new":1,"old":0}"#)
        try await pipeline.send(.mwi, "{\"aor\":\"" + String(repeating: "a", count: 20_000) + "\"}")
        let user = UniqueNames.make("mwi")
        try await pipeline.send(.mwi, #"{"aor":"sip:\#(user)@127.0.0.1","new":2,"old":1}"#)
        #expect(await pipeline.service.rejected == [.invalidJSON: 1, .missingField: 1, .unknownEvent: 1, .invalidURI: 1, .oversized: 1])
        #expect(await pipeline.service.applied[.mwi] == 1)
        try await pipeline.settle()
        let key = PublicationKey(presentity: "sip:\(user)@127.0.0.1", event: "message-summary")
        #expect(await pipeline.engine.publication(key)?.state == .published, "the valid event after the bad ones went through")
    }

    @Test func theSubscriberReconnectsAndSubscribesAgain() async throws {
        let pipeline = try await FeedPipeline()
        defer { Task { await pipeline.close() } }
        // Kill our subscriber's connection from another client, as a Redis restart would (by its address, so
        // the subscribers of tests running alongside are untouched).
        let admin = try await TestServices.redis()
        defer { Task { await admin.close() } }
        let port = try #require(pipeline.subscriber.localPort)
        #expect(try await admin.command(["CLIENT", "KILL", "ADDR", "127.0.0.1:\(port)"]) == .integer(1))
        let deadline = ContinuousClock.now + .seconds(10)
        var sawReconnect = false
        while ContinuousClock.now < deadline {
            if case .reconnecting = pipeline.subscriber.state { sawReconnect = true }
            if sawReconnect, pipeline.subscriber.state == .ready { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(pipeline.subscriber.state == .ready)
        let user = UniqueNames.make("again")
        try await pipeline.send(.mwi, #"{"aor":"sip:\#(user)@127.0.0.1","new":1,"old":0}"#)
        #expect(await pipeline.service.applied[.mwi] == 1, "messages flow after the reconnect")
    }
}

@Suite struct FeedStreamEndToEndTests {
    @Test func aStreamEventIsAcknowledgedOnlyAfterItWasApplied() async throws {
        let pipeline = try await FeedPipeline()
        defer { Task { await pipeline.close() } }
        let stream = UniqueNames.make("mwi-stream")
        let service = FeedService(
            configuration: .init(channels: [.mwi: stream]), agent: pipeline.engine, logger: FeedPipeline.logger)
        let reader = RedisStreamReader(
            endpoint: TestServices.redisEndpoint, streams: [stream], group: "lamplighter", consumer: "node-1", logger: FeedPipeline.logger)
        let acknowledge: @Sendable ([FeedMessage]) -> Void = { reader.acknowledge($0) }
        let consumer = Task { await service.consume([(reader.messages, acknowledge)]) }
        defer {
            reader.stop()
            consumer.cancel()
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while reader.state != .ready, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        let redis = try await TestServices.redis()
        defer { Task { await redis.close() } }
        let user = UniqueNames.make("vm")
        _ = try await redis.command(["XADD", stream, "*", "payload", #"{"aor":"sip:\#(user)@127.0.0.1","new":3,"old":1}"#])
        while await service.applied[.mwi] != 1, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(await service.applied[.mwi] == 1)
        var pending: RedisReply = .null
        while ContinuousClock.now < deadline {
            pending = try await redis.command(["XPENDING", stream, "lamplighter"])
            if case .array(let summary) = pending, summary.first == .integer(0) { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        guard case .array(let summary) = pending else { Issue.record("XPENDING \(pending)"); return }
        #expect(summary.first == .integer(0), "acknowledged after it was applied")
        try await pipeline.settle()
        let key = PublicationKey(presentity: "sip:\(user)@127.0.0.1", event: "message-summary")
        #expect(await pipeline.engine.publication(key)?.state == .published)
    }
}

/// Wall-clock seconds that only move when the test says so.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Double
    init(_ start: Double) { value = start }
    var now: Double { lock.withLock { value } }
    func advance(_ seconds: Double) { lock.withLock { value += seconds } }
}
