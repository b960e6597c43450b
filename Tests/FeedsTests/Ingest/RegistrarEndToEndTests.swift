import Foundation
import LamplighterTestSupport
import SIPCore
import Testing
@testable import Feeds

/// A phone (sipp) registers at the real registrar (`deploy/kamailio/registrar.cfg`, ``TestServices/registrarURI``)
/// → the registrar's event on Redis → feed service → PUBLISH → the real Kamailio → what a real watcher is NOTIFYed.
///
/// The registrar publishes on fixed channels, shared by every test that uses it (and by every test run against
/// the same services): each test uses a user of its own and looks only at that user's events and NOTIFYs.
@Suite struct RegistrarEndToEndTests {
    /// The channel the registrar publishes contact changes on (`LL_REG_CHANNEL` in registrar.cfg, as
    /// deploy/lib.sh starts it).
    static let registrationsChannel = "lamplighter:registrations"

    /// The phone: `uac_register.xml` against the registrar, as `user`, with `contact` and `expires`; with
    /// `unregisterAfter` (milliseconds) it also unregisters in the same run.
    func register(_ user: String, contact: String, expires: Int, unregisterAfter: Int? = nil) async throws -> Sipp {
        try await Sipp.start(
            scenarioFile: Sipp.supportScenarios.appendingPathComponent("uac_register.xml"), timeout: .seconds(10),
            keys: ["contact": contact, "expires": String(expires), "unregister": String(unregisterAfter ?? -1)],
            arguments: ["-s", user, TestServices.registrarHostPort])
    }

    @Test func aPhoneRegisteringAndUnregisteringAtTheRegistrarLightsAndDimsTheLamp() async throws {
        let pipeline = try await FeedPipeline(channels: [.registrations: Self.registrationsChannel])
        defer { Task { await pipeline.close() } }
        let user = UniqueNames.make("reg")
        let contact = "sip:\(user)@192.0.2.10:5060"
        // The initial NOTIFY, open after the REGISTER, closed after the unREGISTER.
        let watcher = try await Sipp.watch(user, event: "presence", notifies: 3, timeout: .seconds(30))
        defer { watcher.stop() }
        #expect(await watcher.waitForNotifies(1), "subscribed: \(watcher.messageLog)")

        let phone = try await register(user, contact: "<\(contact)>", expires: 600)
        #expect(try await phone.waitForExit(timeout: .seconds(15)) == 0, "REGISTER: \(phone.errorLog)\n\(phone.messageLog)")
        #expect(await watcher.waitForNotifies(2), "register: \(watcher.messageLog)")
        var bodies = watcher.notifyBodies
        #expect(bodies.last?.contains("<basic>open</basic>") == true, "\(bodies.last ?? "")")
        #expect(bodies.last?.contains(contact) == true, "\(bodies.last ?? "")")

        // Another run of the phone (another Call-ID), same Contact, Expires 0.
        let unregister = try await register(user, contact: "<\(contact)>", expires: 0)
        #expect(try await unregister.waitForExit(timeout: .seconds(15)) == 0, "unREGISTER: \(unregister.errorLog)\n\(unregister.messageLog)")
        #expect(await watcher.waitForNotifies(3), "unregister: \(watcher.messageLog)")
        bodies = watcher.notifyBodies
        #expect(bodies.last?.contains("<basic>closed</basic>") == true, "\(bodies.last ?? "")")
        #expect(try await watcher.waitForExit(timeout: .seconds(15)) == 0, "\(watcher.errorLog)")
    }

    @Test func theRegistrarPublishesAnInsertAndADeleteThatLamplighterDecodes() async throws {
        let subscriber = RedisSubscriber(
            endpoint: TestServices.redisEndpoint, channels: [Self.registrationsChannel], logger: FeedPipeline.logger)
        defer { subscriber.stop() }
        let ready = ContinuousClock.now + .seconds(10)
        while subscriber.state != .ready, ContinuousClock.now < ready { try await Task.sleep(for: .milliseconds(20)) }
        try #require(subscriber.state == .ready)
        let user = UniqueNames.make("regjson")
        let aor = "sip:\(user)@127.0.0.1"
        // This user's messages only: the channel is shared.
        let mine = Collected()
        let reader = Task {
            for await batch in subscriber.messages {
                for message in batch {
                    let text = String(decoding: message.payload, as: UTF8.self)
                    if text.contains("\"sip:\(user)@") { mine.append(text) }
                }
            }
        }
        defer { reader.cancel() }

        // REGISTER, 200 ms, REGISTER Expires 0, in one registration (one Call-ID).
        let phone = try await register(user, contact: "<sip:\(user)@192.0.2.20:5062;transport=udp>", expires: 600, unregisterAfter: 200)
        #expect(try await phone.waitForExit(timeout: .seconds(15)) == 0, "\(phone.errorLog)\n\(phone.messageLog)")
        let deadline = ContinuousClock.now + .seconds(10)
        while !(mine.values.last?.contains("contact-delete") ?? false), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        // A REGISTER retransmitted on a slow machine is a refresh: contact-update events may come in between.
        // A PUBLISH that outlasts ndb_redis's cmd_timeout (500 ms, on a loaded machine) is sent again after a
        // reconnect, so one event may arrive twice, byte for byte (same timestamp): counted once here (applied
        // twice, it changes nothing).
        let messages = mine.values.reduce(into: [String]()) { kept, text in if kept.last != text { kept.append(text) } }
        try #require(messages.count >= 2, "\(messages)")

        var events: [RegistrationEvent] = []
        for text in messages {
            guard case .registration(let event) = try FeedEvent.decode(Array(text.utf8), feed: .registrations) else {
                Issue.record("not a registration: \(text)")
                return
            }
            events.append(event)
        }
        #expect(events.first?.kind == .insert, "\(messages)")
        #expect(events.last?.kind == .delete, "\(messages)")
        #expect(events.dropFirst().dropLast().allSatisfy { $0.kind == .update }, "\(messages)")
        for event in events {
            #expect(event.aor.description == aor)
            #expect(event.contact == "sip:\(user)@192.0.2.20:5062;transport=udp")
            #expect(event.userAgent == #"Lamplighter-test-phone/1.0 (sipp "registrar")"#, "JSON escaping: \(messages)")
            #expect(event.received?.hasPrefix("sip:127.0.0.1:") == true)
            #expect(event.callID?.isEmpty == false)
            #expect(event.order.timestamp != nil)
        }
        #expect(events[0].expires == 600)
        #expect(events.last?.expires == nil)
        #expect(events.allSatisfy { $0.callID == events[0].callID }, "one registration, one Call-ID")
        #expect((events[0].order.timestamp ?? 0) <= (events.last?.order.timestamp ?? 0))
        #expect(abs((events[0].order.timestamp ?? 0) - Date().timeIntervalSince1970) < 60, "seconds since 1970")
    }
}

/// Strings gathered by one task, read by another.
private final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    var values: [String] { lock.withLock { items } }
    func append(_ item: String) { lock.withLock { items.append(item) } }
}
