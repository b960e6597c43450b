import SIPCore
import Testing

@Test func parsesSimpleOptions() throws {
    let msg = try SIPParser().parse([UInt8](crlf: """
    OPTIONS sip:bob@example.com SIP/2.0
    Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bKhjhs8ass877
    Max-Forwards: 70
    To: <sip:bob@example.com>
    From: Alice <sip:alice@example.com>;tag=1928301774
    Call-ID: a84b4c76e66710
    CSeq: 63104 OPTIONS
    Content-Length: 0


    """))
    let req = try #require(msg.request)
    #expect(req.method == .options)
    #expect(req.uri.user == "bob")
    #expect(req.from?.tag == "1928301774")
    #expect(req.cseq == SIPCSeq(sequence: 63104, method: .options))
    #expect(req.topVia?.branch == "z9hG4bKhjhs8ass877")
}
