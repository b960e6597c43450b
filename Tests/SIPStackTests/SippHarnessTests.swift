import Foundation
import LamplighterTestSupport
import NIOCore
import SIPCore
import Testing
@testable import SIPStack

/// The sipp harness and its scenarios, against real sipp (installed by deploy/test) with raw datagrams from
/// the test: what sipp does is checked on the wire and in its own message log.
@Suite(.timeLimit(.minutes(1))) struct SippHarnessTests {
    static let scenarios = Sipp.supportScenarios

    /// An OPTIONS (or `method`) to sipp as raw text, from `peer`.
    func request(_ method: String = "OPTIONS", to sipp: Sipp, from peer: RawUDPPeer, branch: String, callID: String,
                 cseq: Int = 1, authorization: String? = nil) -> String {
        var lines = [
            "\(method) sip:sipp@127.0.0.1:\(sipp.port) SIP/2.0",
            "Via: SIP/2.0/UDP 127.0.0.1:\(peer.port);branch=\(branch)",
            "Max-Forwards: 70",
            "From: <sip:lamplighter@127.0.0.1>;tag=harness",
            "To: <sip:sipp@127.0.0.1>",
            "Call-ID: \(callID)",
            "CSeq: \(cseq) \(method)",
        ]
        if method == "PUBLISH" { lines += ["Event: presence", "Expires: 60"] }
        if let authorization { lines.append("Authorization: \(authorization)") }
        lines += ["Content-Length: 0", "", ""]
        return lines.joined(separator: "\r\n")
    }

    func parseResponse(_ text: String?, sourceLocation: SourceLocation = #_sourceLocation) throws -> SIPResponse {
        let text = try #require(text, "no response from sipp", sourceLocation: sourceLocation)
        let message = try SIPParser().parse(Array(text.utf8))
        return try #require(message.response, "not a response: \(text)", sourceLocation: sourceLocation)
    }

    func address(_ sipp: Sipp) throws -> SocketAddress {
        try SocketAddress(ipAddress: sipp.host, port: sipp.port)
    }

    @Test func harnessListensOnLoopbackAndStops() async throws {
        let sipp = try await Sipp.start(.silent, in: Self.scenarios, timeout: .seconds(30))
        #expect(sipp.isRunning)
        #expect(sipp.port > 0 && sipp.host == "127.0.0.1")
        #expect(sipp.commandLine.contains("-bind_local") && sipp.commandLine.contains("-timeout_error"))
        sipp.stop()
        #expect(!sipp.isRunning)
        sipp.stop()  // idempotent
    }

    @Test func parsesTheMessageLog() {
        let log = "----------------------------------------------- 2026-11-27 06:35:19.707138\n"
            + "UDP message received [60] bytes :\n\nOPTIONS sip:a@b SIP/2.0\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n\n"
            + "----------------------------------------------- 2026-11-27 06:35:19.807138\n"
            + "UDP message sent (40 bytes):\n\nSIP/2.0 200 OK\r\nCSeq: 1 OPTIONS\r\n\r\n\n"
        let messages = Sipp.parseMessages(log)
        #expect(messages.map(\.received) == [true, false])
        #expect(messages.map(\.firstLine) == ["OPTIONS sip:a@b SIP/2.0", "SIP/2.0 200 OK"])
        #expect(messages.first?.text == "OPTIONS sip:a@b SIP/2.0\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0")
        #expect(Sipp.parseMessages("") == [])
    }

    @Test func silentReceivesEverythingAndAnswersNothingUntilTheTimeout() async throws {
        // sipp's global timeout must outlast the four sends below even on a loaded machine.
        let sipp = try await Sipp.start(.silent, in: Self.scenarios, timeout: .seconds(8))
        let peer = try await RawUDPPeer()
        let callID = UniqueNames.make("silent")
        let options = request(to: sipp, from: peer, branch: "z9hG4bK-silent-1", callID: callID)
        for _ in 0..<3 {
            try await peer.send(options, to: address(sipp))
            #expect(await peer.receive(timeout: .milliseconds(200)) == nil)
        }
        // A new transaction of the same call (-m 1: a new Call-ID would be a second call) is ignored too.
        let publish = request("PUBLISH", to: sipp, from: peer, branch: "z9hG4bK-silent-2", callID: callID, cseq: 2)
        try await peer.send(publish, to: address(sipp))
        #expect(await peer.receive(timeout: .milliseconds(200)) == nil)
        #expect(await sipp.waitUntilReceived(4), "\(sipp.messageLog)")

        let status = try await sipp.waitForExit(timeout: .seconds(15))
        #expect(status == 255, "sipp's global timeout (-timeout_error)")
        #expect(sipp.errorLog.contains("timed out"), "\(sipp.errorLog)")
        #expect(sipp.received.map(\.firstLine) == Array(repeating: "OPTIONS sip:sipp@127.0.0.1:\(sipp.port) SIP/2.0", count: 3)
                + ["PUBLISH sip:sipp@127.0.0.1:\(sipp.port) SIP/2.0"], "\(sipp.messageLog)")
        #expect(sipp.sent.isEmpty)
        await peer.close()
    }

    @Test func dropTwoAnswersOnlyTheThirdCopy() async throws {
        let sipp = try await Sipp.start(.dropTwo, in: Self.scenarios)
        #expect(sipp.commandLine.contains("-nr"))
        let peer = try await RawUDPPeer()
        let callID = UniqueNames.make("drop")
        let publish = request("PUBLISH", to: sipp, from: peer, branch: "z9hG4bK-drop-1", callID: callID, cseq: 5)
        for copy in 1...2 {
            try await peer.send(publish, to: address(sipp))
            #expect(await peer.receive(timeout: .milliseconds(300)) == nil, "copy \(copy) is ignored")
        }
        try await peer.send(publish, to: address(sipp))
        let ok = try parseResponse(await peer.receive(timeout: .seconds(10)))
        #expect(ok.statusCode == 200)
        #expect(ok.topVia?.branch == "z9hG4bK-drop-1")
        #expect(ok.headers.all("Via").count == 1)
        #expect(ok.callID == callID)
        #expect(ok.cseq == SIPCSeq(sequence: 5, method: .publish))
        #expect(ok.from?.tag == "harness")
        #expect(ok.to?.tag != nil)
        #expect(ok.body.isEmpty)

        #expect(try await sipp.waitForExit(timeout: .seconds(10)) == 0, "\(sipp.errorLog)")
        #expect(sipp.received.count == 3, "\(sipp.messageLog)")
        #expect(sipp.sent.map(\.firstLine) == ["SIP/2.0 200 OK"])
        await peer.close()
    }

    /// Why uas_drop_two needs -nr: without it sipp absorbs retransmissions before the scenario sees them.
    @Test func withoutNrSippAbsorbsRetransmissions() async throws {
        let sipp = try await Sipp.start(scenarioFile: Sipp.Scenario.dropTwo.file(in: Self.scenarios), timeout: .seconds(20))
        let peer = try await RawUDPPeer()
        let options = request(to: sipp, from: peer, branch: "z9hG4bK-absorbed", callID: UniqueNames.make("absorbed"))
        for _ in 0..<4 {
            try await peer.send(options, to: address(sipp))
            #expect(await peer.receive(timeout: .milliseconds(150)) == nil)
        }
        #expect(await sipp.waitUntilReceived(4), "\(sipp.messageLog)")
        #expect(sipp.isRunning, "still waiting in the second <recv>")
        sipp.stop()
        #expect(!sipp.isRunning)
        #expect(sipp.received.count == 4, "logged, yet never reached the third <recv>")
        #expect(sipp.sent.isEmpty)
        await peer.close()
    }

    /// 401, then 200 to an Authorization computed by hand with SIPDigest.
    @Test func digestChallengesThenAcceptsCorrectCredentials() async throws {
        let sipp = try await Sipp.start(.digest, in: Self.scenarios)
        let peer = try await RawUDPPeer()
        let callID = UniqueNames.make("digest")
        try await peer.send(request(to: sipp, from: peer, branch: "z9hG4bK-d1", callID: callID), to: address(sipp))
        let challenge = try parseResponse(await peer.receive())
        #expect(challenge.statusCode == 401)
        #expect(challenge.cseq?.sequence == 1)
        let offered = try #require(challenge.headers.wwwAuthenticate.first)
        #expect(offered.realm == Sipp.digestRealm)
        #expect(offered.digestAlgorithm == .md5 && offered.qopOptions == ["auth"])
        let nonce = try #require(offered.nonce)

        let uri = "sip:sipp@127.0.0.1:\(sipp.port)"
        let response = SIPDigest.response(algorithm: .md5, username: Sipp.digestUsername, realm: Sipp.digestRealm,
                                          password: Sipp.digestPassword, method: "OPTIONS", uri: uri, nonce: nonce,
                                          cnonce: "0a4f113b", nc: "00000001", qop: "auth")
        let authorization = #"Digest username="\#(Sipp.digestUsername)", realm="\#(Sipp.digestRealm)", nonce="\#(nonce)", "#
            + #"uri="\#(uri)", response="\#(response)", algorithm=MD5, cnonce="0a4f113b", qop=auth, nc=00000001"#
        try await peer.send(request(to: sipp, from: peer, branch: "z9hG4bK-d2", callID: callID, cseq: 2, authorization: authorization),
                            to: address(sipp))
        let ok = try parseResponse(await peer.receive())
        #expect(ok.statusCode == 200)
        #expect(ok.cseq?.sequence == 2 && ok.topVia?.branch == "z9hG4bK-d2")
        #expect(try await sipp.waitForExit(timeout: .seconds(10)) == 0, "\(sipp.errorLog)")
        #expect(sipp.sent.map(\.firstLine) == ["SIP/2.0 401 Unauthorized", "SIP/2.0 200 OK"])
        await peer.close()
    }

    /// A retransmission of the challenged request gets the same 401 again (sipp's own retransmission handling).
    @Test func digestRepeatsTheChallengeToARetransmission() async throws {
        let sipp = try await Sipp.start(.digest, in: Self.scenarios, timeout: .seconds(10))  // stopped below; a short global timeout could end sipp before it is seen listening on a loaded machine
        let peer = try await RawUDPPeer()
        let options = request(to: sipp, from: peer, branch: "z9hG4bK-rt", callID: UniqueNames.make("digest"))
        try await peer.send(options, to: address(sipp))
        let first = try parseResponse(await peer.receive())
        try await peer.send(options, to: address(sipp))
        let again = try parseResponse(await peer.receive())
        #expect(first.statusCode == 401 && again.statusCode == 401)
        #expect(first.headers.wwwAuthenticate == again.headers.wwwAuthenticate)
        sipp.stop()
        await peer.close()
    }

    /// The DigestAuthenticator end to end: its retry (given a fresh Via) is accepted by sipp's verifyauth.
    @Test func digestAcceptsTheAuthenticatorsRetry() async throws {
        let sipp = try await Sipp.start(.digest, in: Self.scenarios)
        let peer = try await RawUDPPeer()
        var authenticator = DigestAuthenticator(credentials: [SIPCredential(username: Sipp.digestUsername, password: Sipp.digestPassword,
                                                                            realm: Sipp.digestRealm)])
        let callID = UniqueNames.make("digest")
        let first = try SIPParser().parse(Array(request("PUBLISH", to: sipp, from: peer, branch: "z9hG4bK-a1", callID: callID, cseq: 10).utf8))
        let publish = try #require(first.request)
        try await peer.send(String(decoding: publish.serialized(), as: UTF8.self), to: address(sipp))
        let challenge = try parseResponse(await peer.receive())
        #expect(challenge.statusCode == 401)

        guard case .retry(var retry) = authenticator.responseReceived(challenge, to: publish) else {
            Issue.record("no retry for \(challenge)")
            return
        }
        #expect(retry.headers.all("Via").isEmpty)
        #expect(retry.cseq?.sequence == 11)
        retry.headers.add("Via", "SIP/2.0/UDP 127.0.0.1:\(peer.port);branch=z9hG4bK-a2")
        try await peer.send(String(decoding: retry.serialized(), as: UTF8.self), to: address(sipp))
        let ok = try parseResponse(await peer.receive())
        #expect(ok.statusCode == 200, "\(sipp.messageLog)")
        #expect(authenticator.responseReceived(ok, to: retry) == .notAChallenge)
        #expect(try await sipp.waitForExit(timeout: .seconds(10)) == 0, "\(sipp.errorLog)")
        await peer.close()
    }

    /// A wrong password: sipp challenges again with the same nonce, the authenticator gives up (.rejected), and
    /// sipp ends with its "wrong credentials" error.
    @Test func digestRejectsAWrongPasswordWithTheSameNonce() async throws {
        let sipp = try await Sipp.start(.digest, in: Self.scenarios)
        let peer = try await RawUDPPeer()
        let wrong = "not-the-password"
        var authenticator = DigestAuthenticator(credentials: [SIPCredential(username: Sipp.digestUsername, password: wrong)])
        let first = try SIPParser().parse(Array(request(to: sipp, from: peer, branch: "z9hG4bK-w1", callID: UniqueNames.make("digest")).utf8))
        let options = try #require(first.request)
        try await peer.send(String(decoding: options.serialized(), as: UTF8.self), to: address(sipp))
        let challenge = try parseResponse(await peer.receive())
        guard case .retry(var retry) = authenticator.responseReceived(challenge, to: options) else {
            Issue.record("no retry for \(challenge)")
            return
        }
        retry.headers.add("Via", "SIP/2.0/UDP 127.0.0.1:\(peer.port);branch=z9hG4bK-w2")
        try await peer.send(String(decoding: retry.serialized(), as: UTF8.self), to: address(sipp))
        let again = try parseResponse(await peer.receive())
        #expect(again.statusCode == 401)
        #expect(again.headers.wwwAuthenticate.first?.nonce == challenge.headers.wwwAuthenticate.first?.nonce)
        guard case .fail(let error) = authenticator.responseReceived(again, to: retry) else {
            Issue.record("a second challenge with the same nonce must fail")
            return
        }
        #expect(error.code == .rejected)
        #expect(!error.description.contains(wrong))
        #expect(try await sipp.waitForExit(timeout: .seconds(10)) == 255)
        #expect(sipp.errorLog.contains("wrong credentials"), "\(sipp.errorLog)")
        await peer.close()
    }

    @Test func missingScenarioIsReported() async throws {
        await #expect(throws: Sipp.Failure.self) {
            _ = try await Sipp.start(scenarioFile: Self.scenarios.appendingPathComponent("no_such.xml"))
        }
    }
}
