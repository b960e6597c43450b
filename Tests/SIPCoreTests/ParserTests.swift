import SIPCore
import Testing

@Suite("Datagram parser")
struct ParserTests {
    static let minimalHead = """
    OPTIONS sip:bob@example.com SIP/2.0
    Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bKhjhs8ass877
    To: <sip:bob@example.com>
    From: <sip:alice@example.com>;tag=1
    Call-ID: abc
    CSeq: 1 OPTIONS

    """

    @Test func foldingWhitespaceCaseAndCompactForms() throws {
        let m = try SIPParser().parse([UInt8](crlf: """
        OPTIONS sip:bob@example.com SIP/2.0
        v  :  SIP/2.0/UDP a.example.com;branch=z9hG4bK1
        VIA:SIP/2.0/TCP b.example.com;branch=z9hG4bK2,
         SIP/2.0/TLS c.example.com;branch=z9hG4bK3
        t:<sip:bob@example.com>
        f: <sip:alice@example.com>
        \t;tag=abc
        i: xyz@host
        cseq:\t7
           OPTIONS
        k: path, gruu
        u: presence, dialog
        o: presence
        X-Custom: one
        x-custom: two
        l: 0


        """))
        let r = try #require(m.request)
        #expect(r.vias.map(\.host) == ["a.example.com", "b.example.com", "c.example.com"])
        #expect(r.headers.fieldCount("Via") == 2)
        #expect(r.from?.tag == "abc")
        #expect(r.headers.first("From") == "<sip:alice@example.com> ;tag=abc")
        #expect(r.callID == "xyz@host")
        #expect(r.headers.first("CALL-ID") == "xyz@host")
        #expect(r.headers.first("i") == "xyz@host")
        #expect(r.cseq == SIPCSeq(sequence: 7, method: .options))
        #expect(r.headers.supported == ["path", "gruu"])
        #expect(r.headers.allowEvents == ["presence", "dialog"])
        #expect(r.event?.package == "presence")
        #expect(r.headers.all("x-CUSTOM") == ["one", "two"])
        // Names are canonical; order kept.
        #expect(r.headers.map(\.name) == ["Via", "Via", "To", "From", "Call-ID", "CSeq", "Supported", "Allow-Events",
                                           "Event", "X-Custom", "x-custom"])
    }

    @Test func bareLineFeedsAndLeadingCRLFAreTolerated() throws {
        let text = "\r\n\r\n" + Self.minimalHead + "\n"
        let m = try SIPParser().parse(Array(text.utf8))
        #expect(m.request?.method == .options)
    }

    @Test func udpBodyWithoutContentLengthIsRestOfDatagram() throws {
        let m = try SIPParser().parse([UInt8](crlf: Self.minimalHead + "\nhello\nworld"))
        #expect(m.body == Array("hello\r\nworld".utf8))
    }

    @Test func trailingOctetsBeyondContentLengthAreIgnored() throws {
        let m = try SIPParser().parse([UInt8](crlf: Self.minimalHead + "Content-Length: 3\n\nabcdef"))
        #expect(m.body == Array("abc".utf8))
    }

    @Test(arguments: [
        ("Content-Length: 10\n\nabc", SIPParseError.Code.contentLengthMismatch),
        ("Content-Length: -1\n\n", .invalidHeaderValue),
        ("Content-Length: +1\n\na", .invalidHeaderValue),
        ("Content-Length: 1a\n\na", .invalidHeaderValue),
        ("Content-Length: \n\n", .invalidHeaderValue),
        ("Content-Length: 99999999999999999999999999\n\n", .bodyTooLarge),
        ("Content-Length: 70000\n\n", .bodyTooLarge),
        ("Content-Length: 1\nl: 2\n\nab", .contentLengthMismatch),
    ])
    func contentLengthErrors(tail: String, code: SIPParseError.Code) {
        #expect(parseError([UInt8](crlf: Self.minimalHead + tail))?.code == code)
    }

    @Test func duplicateEqualContentLengthIsAccepted() throws {
        let m = try SIPParser().parse([UInt8](crlf: Self.minimalHead + "Content-Length: 2\nl: 02\n\nab"))
        #expect(m.body == Array("ab".utf8))
    }

    @Test func limitsAreEnforced() {
        let big = [UInt8](repeating: UInt8(ascii: "a"), count: 70000)
        #expect(parseError(big)?.code == .messageTooLarge)

        let small = SIPLimits(maxMessageSize: 1000, maxHeaderCount: 10, maxLineLength: 100, maxBodySize: 10)
        var many = Self.minimalHead
        for i in 0..<6 { many += "X-\(i): v\n" }
        #expect(parseError([UInt8](crlf: many + "\n"), limits: small)?.code == .tooManyHeaders)
        #expect(parseError([UInt8](crlf: Self.minimalHead + "X: " + String(repeating: "b", count: 200) + "\n\n"), limits: small)?.code == .lineTooLong)
        // Folded lines count after unfolding.
        let folded = Self.minimalHead + "X: " + String(repeating: "b\n ", count: 60) + "\n\n"
        #expect(parseError([UInt8](crlf: folded), limits: small)?.code == .lineTooLong)
        #expect(parseError([UInt8](crlf: Self.minimalHead + "\n" + String(repeating: "z", count: 11)), limits: small)?.code == .bodyTooLarge)
        #expect(parseError([UInt8](crlf: Self.minimalHead + "l: 11\n\n" + String(repeating: "z", count: 11)), limits: small)?.code == .bodyTooLarge)
        let longURI = "OPTIONS sip:" + String(repeating: "u", count: 200) + "@example.com SIP/2.0\n"
        #expect(parseError([UInt8](crlf: longURI + "\n"), limits: small)?.code == .lineTooLong)
    }

    @Test(arguments: ["To", "From", "CSeq", "Call-ID", "Via"])
    func mandatoryHeaders(name: String) {
        let lines = Self.minimalHead.split(separator: "\n").filter { !$0.hasPrefix(name + ":") }
        let text = lines.joined(separator: "\n") + "\n\n"
        #expect(parseError([UInt8](crlf: text))?.code == .missingHeader(name))
    }

    @Test func maxForwardsMayBeAbsentButNotRepeated() throws {
        _ = try SIPParser().parse([UInt8](crlf: Self.minimalHead + "\n"))
        #expect(parseError([UInt8](crlf: Self.minimalHead + "Max-Forwards: 70\nMax-Forwards: 69\n\n"))?.code == .duplicateHeader("Max-Forwards"))
    }

    @Test func cseqRules() {
        func head(_ method: String, _ cseq: String) -> [UInt8] {
            [UInt8](crlf: Self.minimalHead.replacingOccurrences(of: "OPTIONS sip", with: "\(method) sip")
                .replacingOccurrences(of: "CSeq: 1 OPTIONS", with: "CSeq: \(cseq)") + "\n")
        }
        #expect(parseError(head("OPTIONS", "4294967295 OPTIONS")) == nil)
        #expect(parseError(head("OPTIONS", "4294967296 OPTIONS"))?.code == .invalidHeaderValue)
        #expect(parseError(head("OPTIONS", "1 INVITE"))?.code == .cseqMethodMismatch)
        #expect(parseError(head("OPTIONS", "1 options"))?.code == .cseqMethodMismatch)
        #expect(parseError(head("OPTIONS", "OPTIONS"))?.code == .invalidHeaderValue)
        #expect(parseError(head("OPTIONS", "1"))?.code == .invalidHeaderValue)
        #expect(parseError(head("OPTIONS", "1 OPTIONS extra"))?.code == .invalidHeaderValue)
        #expect(parseError(head("ACK", "1 INVITE")) == nil)
        #expect(parseError(head("CANCEL", "1 INVITE")) == nil)
    }

    @Test(arguments: [
        ("", SIPParseError.Code.emptyMessage),
        ("\r\n\r\n", .emptyMessage),
        ("OPTIONS sip:a@b SIP/2.0", .truncatedMessage),
        ("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h", .truncatedMessage),
        ("OPTIONS sip:a@b\r\n\r\n", .malformedStartLine),
        ("OPTIONS\r\n\r\n", .malformedStartLine),
        ("OPTIONS sip:a@b HTTP/1.1\r\n\r\n", .malformedStartLine),
        ("OPTIONS sip:a@b SIP/3.0\r\n\r\n", .invalidVersion),
        ("OPT@IONS sip:a@b SIP/2.0\r\n\r\n", .invalidMethod),
        ("OPTIONS sip:a b SIP/2.0\r\n\r\n", .malformedStartLine),
        ("OPTIONS sip: SIP/2.0\r\n\r\n", .malformedURI),
        ("OPTIONS sip:a@b:99999 SIP/2.0\r\n\r\n", .malformedURI),
        ("SIP/2.0 99 Too Low\r\n\r\n", .invalidStatusCode),
        ("SIP/2.0 700 Too High\r\n\r\n", .invalidStatusCode),
        ("SIP/2.0 2000 OK\r\n\r\n", .invalidStatusCode),
        ("SIP/2.0 20x OK\r\n\r\n", .invalidStatusCode),
        ("SIP/1.0 200 OK\r\n\r\n", .invalidVersion),
        ("SIP/2.0\r\n\r\n", .malformedStartLine),
        ("OPTIONS sip:a@b SIP/2.0\r\n continuation\r\n\r\n", .malformedHeader),
        ("OPTIONS sip:a@b SIP/2.0\r\nNoColon\r\n\r\n", .malformedHeader),
        ("OPTIONS sip:a@b SIP/2.0\r\nBad Name: x\r\n\r\n", .malformedHeader),
        ("OPTIONS sip:a@b SIP/2.0\r\n: x\r\n\r\n", .malformedHeader),
        ("OPTIONS sip:a@b SIP/2.0\r\nX: a\rb\r\n\r\n", .malformedHeader),
    ])
    func startLineAndHeaderLineErrors(text: String, code: SIPParseError.Code) {
        #expect(parseError(Array(text.utf8))?.code == code, "\(text.debugDescription)")
    }

    @Test func responseParsing() throws {
        let m = try SIPParser().parse([UInt8](crlf: """
        SIP/2.0 401 Unauthorized
        Via: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bKnashds7;received=192.0.2.5;rport=5062
        To: <sip:alice@example.com>;tag=abc
        From: <sip:alice@example.com>;tag=def
        Call-ID: 1j9FpLxk3uxtm8tn@192.0.2.4
        CSeq: 1 REGISTER
        WWW-Authenticate: Digest realm="example.com", qop="auth,auth-int", nonce="ea9c8e88df84f1cec4341ae6cbe5a359", opaque="", stale=FALSE, algorithm=MD5
        Content-Length: 0


        """))
        let r = try #require(m.response)
        #expect(r.statusCode == 401)
        #expect(r.reason == "Unauthorized")
        #expect(r.topVia?.received == "192.0.2.5")
        #expect(r.topVia?.rport == .value(5062))
        let ch = try #require(r.headers.wwwAuthenticate.first)
        #expect(ch.realm == "example.com")
        #expect(ch.qopOptions == ["auth", "auth-int"])
        #expect(ch.opaque == "")
        #expect(ch.stale == false)
        #expect(ch.digestAlgorithm == .md5)
        // A status line without a reason phrase or its space is tolerated.
        let bare = try SIPParser().parse(Array(("SIP/2.0 180\r\n" + Self.minimalHead.split(separator: "\n").dropFirst().joined(separator: "\r\n") + "\r\n\r\n").utf8))
        #expect(bare.response?.reason == "")
    }

    @Test func nonContiguousInputParses() throws {
        let bytes = [UInt8](crlf: Self.minimalHead + "\n")
        let m1 = try SIPParser().parse(bytes)
        let m2 = try SIPParser().parse(bytes.lazy.map { $0 })
        let m3 = try SIPParser().parse(bytes[...])
        #expect(m1 == m2)
        #expect(m1 == m3)
    }

    @Test func binaryAndInvalidUTF8AreSafe() throws {
        var bytes = [UInt8](crlf: Self.minimalHead)
        bytes += Array("X-Bin: a".utf8) + [0xFF, 0xFE, 0x00] + Array("b\r\n\r\n".utf8)
        let m = try SIPParser().parse(bytes)
        let v = try #require(m.headers.first("X-Bin"))
        #expect(v.contains("\u{FFFD}"))
        #expect(try SIPParser().parse(m.serialized()) == m)
    }
}


@Suite("Pathological inputs")
struct PathologicalInputTests {
    static let head = ParserTests.minimalHead.replacingOccurrences(of: "\n", with: "\r\n")

    @Test func largeAdversarialMessagesAreBoundedAndLinear() throws {
        let limits = SIPLimits(maxMessageSize: 65535, maxHeaderCount: 256, maxLineLength: 65535)
        let parser = SIPParser(limits: limits)
        // One header folded over thousands of lines.
        var folded = Self.head + "X-Fold: a"
        while folded.utf8.count < 60000 { folded += "\r\n b" }
        let m1 = try parser.parse(Array((folded + "\r\n\r\n").utf8))
        #expect(m1.headers.first("X-Fold")?.count ?? 0 > 29000)
        // A Via with thousands of empty list elements and parameters.
        let vias = Self.head + "Via: SIP/2.0/UDP h;branch=z9hG4bK1" + String(repeating: ",", count: 20000)
            + ";x" + String(repeating: ";p", count: 10000) + "\r\n\r\n"
        #expect(parseError(Array(vias.utf8), limits: limits)?.code == .invalidHeaderValue)
        // Deep quoting / angle brackets in a list header.
        let contact = Self.head + "Contact: " + String(repeating: "\"<\\\"", count: 10000) + "\r\n\r\n"
        let m3 = try parser.parse(Array(contact.utf8))
        #expect(m3.contacts.isEmpty)
        // Many headers up to the limit.
        var many = Self.head
        for i in 0..<250 { many += "X-\(i): \(String(repeating: "v", count: 200))\r\n" }
        let m4 = try parser.parse(Array((many + "\r\n").utf8))
        #expect(m4.headers.count == 255)
        // Huge URI parameter list in the Request-URI.
        let uri = "OPTIONS sip:a@b" + String(repeating: ";p=%41", count: 8000) + " SIP/2.0\r\n"
        let m5 = try parser.parse(Array((uri + Self.head.split(separator: "\r\n", omittingEmptySubsequences: false).dropFirst().joined(separator: "\r\n") + "\r\n").utf8))
        #expect(m5.request?.uri.parameters.count == 8000)
    }
}
