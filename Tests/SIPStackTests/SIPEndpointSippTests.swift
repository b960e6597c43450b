import Foundation
import LamplighterTestSupport
import Logging
import SIPCore
import Testing
@testable import SIPStack

/// The endpoint against misbehaving peers played by real sipp on 127.0.0.1.
@Suite struct SIPEndpointSippTests {
    static let scenarios = Sipp.supportScenarios
    let logger = Logger(label: "test.sipp")

    func endpoint(t1: Duration, credentials: [SIPCredential] = []) async throws -> SIPEndpoint {
        var options = SIPEndpoint.Options()
        options.timers = SIPTimers(t1: t1, t2: t1 * 8)
        options.credentials = credentials
        return try await SIPEndpoint.bind(host: "127.0.0.1", port: 0, options: options, logger: logger)
    }

    func options(to sipp: Sipp, from endpoint: SIPEndpoint) throws -> SIPRequest {
        OptionsPing.request(
            to: try SIPURI(parsing: "sip:sipp@127.0.0.1:\(sipp.port)"),
            from: try SIPURI(parsing: "sip:lamplighter@127.0.0.1:\(endpoint.localAddress.port!)"), userAgent: "t")
    }

    @Test func retransmitsUntilAPeerThatDropsTwoRequestsAnswers() async throws {
        let sipp = try await Sipp.start(.dropTwo, in: Self.scenarios)
        defer { sipp.stop() }
        let endpoint = try await endpoint(t1: .milliseconds(100))
        let response = try await endpoint.send(try options(to: sipp, from: endpoint), to: try OptionsPing.destination(of: try SIPURI(parsing: "sip:127.0.0.1:\(sipp.port)")))
        #expect(response.statusCode == 200)
        #expect(try await sipp.waitForExit(timeout: .seconds(10)) == 0, "\(sipp.errorLog)")
        let copies = sipp.received.filter { $0.firstLine.hasPrefix("OPTIONS") }
        #expect(copies.count == 3, "two retransmissions were needed: \(sipp.messageLog)")
        #expect(Set(copies.map { $0.text }).count == 1, "retransmissions are byte-identical")
        await endpoint.close()
    }

    @Test func aPeerThatNeverAnswersGivesATimeoutAfterTimerF() async throws {
        let sipp = try await Sipp.start(.silent, in: Self.scenarios, timeout: .seconds(12))
        defer { sipp.stop() }
        let endpoint = try await endpoint(t1: .milliseconds(20))
        let started = ContinuousClock.now
        await #expect {
            _ = try await endpoint.send(try options(to: sipp, from: endpoint), to: try OptionsPing.destination(of: try SIPURI(parsing: "sip:127.0.0.1:\(sipp.port)")))
        } throws: { error in
            (error as? SIPTransactionError)?.code == .timeout
        }
        #expect(ContinuousClock.now - started >= .milliseconds(1280), "Timer F is 64·T1")
        // Read the copies sipp logged; on a loaded machine sipp may log them late (an empty log was once read
        // right after the timeout), so wait for them, or for sipp's own end (its 12 s timeout) at the latest.
        let deadline = ContinuousClock.now + .seconds(15)
        while sipp.received.count < 4, sipp.exitStatus == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        sipp.stop()
        #expect(sipp.received.count >= 4, "Timer E retransmitted: \(sipp.received.count) copies; errors: \(sipp.errorLog); log: \(sipp.messageLog.prefix(2000))")
        await endpoint.close()
    }

    @Test func answersADigestChallengeOnce() async throws {
        let sipp = try await Sipp.start(.digest, in: Self.scenarios)
        defer { sipp.stop() }
        let endpoint = try await endpoint(t1: .milliseconds(100), credentials: [
            SIPCredential(username: Sipp.digestUsername, password: Sipp.digestPassword, realm: Sipp.digestRealm),
        ])
        let response = try await endpoint.send(try options(to: sipp, from: endpoint), to: try OptionsPing.destination(of: try SIPURI(parsing: "sip:127.0.0.1:\(sipp.port)")))
        #expect(response.statusCode == 200)
        #expect(try await sipp.waitForExit(timeout: .seconds(10)) == 0, "\(sipp.errorLog)")
        let requests = sipp.requests("OPTIONS")
        #expect(requests.count == 2)
        #expect(requests.last?.text.contains("Authorization: Digest") == true)
        #expect(requests.last?.text.contains("CSeq: 2 OPTIONS") == true)
        await endpoint.close()
    }

    @Test func aWrongPasswordFailsOnceWithoutALoop() async throws {
        let sipp = try await Sipp.start(.digest, in: Self.scenarios)
        defer { sipp.stop() }
        let endpoint = try await endpoint(t1: .milliseconds(100), credentials: [
            SIPCredential(username: Sipp.digestUsername, password: "wrong-password", realm: Sipp.digestRealm),
        ])
        await #expect {
            _ = try await endpoint.send(try options(to: sipp, from: endpoint), to: try OptionsPing.destination(of: try SIPURI(parsing: "sip:127.0.0.1:\(sipp.port)")))
        } throws: { error in
            guard let error = error as? SIPTransactionError else { return false }
            return error.code == .authenticationFailed && !error.description.contains("wrong-password")
        }
        _ = try? await sipp.waitForExit(timeout: .seconds(5))
        let requests = sipp.requests("OPTIONS")
        #expect(requests.count == 2, "one authenticated retry, then give up: \(requests.map(\.firstLine))")
        await endpoint.close()
    }
}
