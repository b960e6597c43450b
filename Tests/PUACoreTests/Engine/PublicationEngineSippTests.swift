import LamplighterTestSupport
import SIPCore
import SIPStack
import Testing
@testable import PUACore

/// The engine against sipp playing a challenging server and a silent one.
@Suite struct PublicationEngineSippTests {
    func harness(for sipp: Sipp, password: String) async throws -> EngineHarness {
        var options = SIPEndpoint.Options()
        options.timers = SIPTimers(t1: .milliseconds(50), t2: .milliseconds(400))
        options.credentials = [SIPCredential(username: Sipp.digestUsername, password: password, realm: Sipp.digestRealm)]
        return try await EngineHarness(nextHop: try SIPURI(parsing: "sip:127.0.0.1:\(sipp.port)"), endpointOptions: options)
    }

    @Test func aChallengingServerIsAnsweredWithDigest() async throws {
        let sipp = try await Sipp.start(.digest, in: Sipp.supportScenarios)
        defer { sipp.stop() }
        let harness = try await harness(for: sipp, password: Sipp.digestPassword)
        defer { Task { await harness.close() } }
        let (uri, _) = try EngineHarness.presentity()
        try await harness.engine.sendPublish(PublishParameters(presentity: uri, event: "presence", body: EngineHarness.pidf(uri, "open"), source: .admin))
        let (snapshot, outcome) = try await harness.next()
        #expect(outcome == .published(statusCode: 200))
        #expect(snapshot.lastReply?.statusCode == 200)
        #expect(try await sipp.waitForExit(timeout: .seconds(10)) == 0, "\(sipp.errorLog)")
        let publishes = sipp.requests("PUBLISH")
        #expect(publishes.count == 2)
        #expect(publishes.last?.text.contains("Authorization: Digest") == true)
        #expect(publishes.last?.text.contains("Event: presence") == true)
    }

    @Test func refusedCredentialsAreAFinalFailureNotALoop() async throws {
        let sipp = try await Sipp.start(.digest, in: Sipp.supportScenarios)
        defer { sipp.stop() }
        let harness = try await harness(for: sipp, password: "wrong-password")
        defer { Task { await harness.close() } }
        let (uri, _) = try EngineHarness.presentity()
        try await harness.engine.sendPublish(PublishParameters(presentity: uri, event: "presence", body: EngineHarness.pidf(uri, "open"), source: .admin))
        let (snapshot, outcome) = try await harness.next()
        #expect(outcome == .failed(PublishFailure(code: .rejected, statusCode: 401, willRetry: false)))
        #expect(snapshot.lastReply?.reason.contains("wrong-password") == false, "the secret is never shown")
        #expect(await harness.engine.nextTimer == nil)
        _ = try? await sipp.waitForExit(timeout: .seconds(5))
        #expect(sipp.requests("PUBLISH").count == 2)
    }

    @Test func aSilentServerIsRetriedWithBackoffAndNothingIsDropped() async throws {
        let sipp = try await Sipp.start(.silent, in: Sipp.supportScenarios, timeout: .seconds(30))
        defer { sipp.stop() }
        let configuration = PublicationEngine.Configuration(machine: .init(backoffBase: .seconds(2), backoffCap: .seconds(60)))
        var options = SIPEndpoint.Options()
        options.timers = SIPTimers(t1: .milliseconds(10), t2: .milliseconds(80))  // Timer F: 0.64 s
        let harness = try await EngineHarness(
            nextHop: try SIPURI(parsing: "sip:127.0.0.1:\(sipp.port)"), configuration: configuration, endpointOptions: options)
        defer { Task { await harness.close() } }
        let (uri, _) = try EngineHarness.presentity()
        try await harness.engine.sendPublish(PublishParameters(presentity: uri, event: "presence", body: EngineHarness.pidf(uri, "open"), source: .admin))
        let (first, outcome) = try await harness.next()
        #expect(outcome == .failed(PublishFailure(code: .transactionFailed, statusCode: nil, willRetry: true)))
        #expect(first.state == .failed)
        #expect(first.lastReply?.statusCode == nil)
        #expect(first.lastReply?.reason.hasPrefix("timeout") == true, "\(String(describing: first.lastReply))")
        let retryAt = try #require(await harness.engine.nextTimer)
        #expect(retryAt > .now + .milliseconds(500), "backoff: base 2 s less up to 25 % jitter")

        // An update meanwhile is kept and goes out with the retry (latest body wins).
        try await harness.engine.sendPublish(PublishParameters(presentity: uri, event: "presence", body: EngineHarness.pidf(uri, "closed"), source: .admin))
        #expect(await harness.engine.transactionsInFlight == 0, "no PUBLISH before the retry timer")
        await harness.engine.fireDueTimers(now: retryAt)
        let (second, outcome2) = try await harness.next()
        #expect(outcome2 == .failed(PublishFailure(code: .transactionFailed, statusCode: nil, willRetry: true)))
        #expect(String(decoding: second.body ?? [], as: UTF8.self).contains("<basic>closed</basic>"))
        let publishes = sipp.requests("PUBLISH")
        #expect(publishes.last?.text.contains("<basic>closed</basic>") == true)
        #expect(await harness.engine.publicationCount == 1)
    }
}
