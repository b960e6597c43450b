import SIPCore
import Testing
@testable import SIPStack

@Suite struct MalformedRequestReplyTests {
    let error = SIPParseError(.cseqMethodMismatch, "CSeq method INVITE does not match OPTIONS")

    @Test func answersARequestWithTheMandatoryHeaders() throws {
        let text = "OPTIONS sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\nf: <sip:x@y>;tag=1\r\nt: <sip:a@b>\r\ni: abc\r\nCSeq: 1 INVITE\r\n\r\n"
        let reply = try #require(MalformedRequestReply.response(to: Array(text.utf8), error: error, server: "L"))
        #expect(reply.statusCode == 400)
        #expect(reply.reason == "Bad Request (CSeq method INVITE does not match OPTIONS)")
        #expect(reply.headers.first("Via") == "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1")
        #expect(reply.headers.first("Call-ID") == "abc")
        // The reply itself must be a valid message.
        #expect(throws: Never.self) { try SIPParser().parse(reply.serialized()) }
    }

    @Test func neverAnswersResponsesAcksOrRequestsMissingHeaders() {
        let response = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n"
        #expect(MalformedRequestReply.response(to: Array(response.utf8), error: error, server: "L") == nil)
        let ack = response.replacingOccurrences(of: "SIP/2.0 200 OK", with: "ACK sip:a@b SIP/2.0")
        #expect(MalformedRequestReply.response(to: Array(ack.utf8), error: error, server: "L") == nil)
        let noCallID = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>\r\nTo: <sip:a@b>\r\nCSeq: 1 OPTIONS\r\n\r\n"
        #expect(MalformedRequestReply.response(to: Array(noCallID.utf8), error: error, server: "L") == nil)
        #expect(MalformedRequestReply.response(to: Array("\u{00}\u{01}garbage".utf8), error: error, server: "L") == nil)
    }

    @Test func theReasonCannotInjectHeadersAndIsBounded() throws {
        let hostile = SIPParseError(.malformedHeader, String(repeating: "x", count: 500) + "\r\nEvil: yes")
        let text = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n"
        let reply = try #require(MalformedRequestReply.response(to: Array(text.utf8), error: hostile, server: "L"))
        #expect(reply.reason.count <= 160)
        #expect(!String(decoding: reply.serialized(), as: UTF8.self).contains("\r\nEvil"))
    }
}
