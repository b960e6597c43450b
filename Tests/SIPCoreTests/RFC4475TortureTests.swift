import SIPCore
import Testing

/// RFC 4475 torture messages: every valid message parses with the fields the
/// RFC describes; every invalid message is rejected with a specific code or,
/// where the RFC allows, tolerated in the way it describes.
@Suite("RFC 4475 torture tests")
struct RFC4475TortureTests {
    static let expectedErrors: [String: SIPParseError.Code] = [
        "badinv01.dat": .invalidHeaderValue,        // ";;,;,," in Via
        "clerr.dat": .contentLengthMismatch,        // Content-Length 9999 > datagram
        "ncl.dat": .invalidHeaderValue,             // Content-Length -999
        "scalar02.dat": .invalidHeaderValue,        // CSeq 36893488147419103232
        "scalarlg.dat": .invalidHeaderValue,        // CSeq 9292394834772304023312 in a response
        "quotbal.dat": .invalidHeaderValue,         // unterminated quoted display name in To
        "ltgtruri.dat": .malformedURI,              // <sip:...> as Request-URI
        "lwsruri.dat": .malformedStartLine,         // "sip:user@example.com; lr"
        "lwsstart.dat": .malformedStartLine,        // multiple SP in request line
        "trws.dat": .malformedStartLine,            // SP after SIP-Version
        "escruri.dat": .malformedURI,               // headers in Request-URI
        "badaspec.dat": .invalidHeaderValue,        // "< sip:t.watson@example.org >"
        "baddn.dat": .invalidHeaderValue,           // unquoted "Bell, Alexander"
        "badvers.dat": .invalidVersion,             // SIP/7.0
        "mismatch01.dat": .cseqMethodMismatch,      // OPTIONS vs CSeq INVITE
        "mismatch02.dat": .cseqMethodMismatch,      // NEWMETHOD vs CSeq INVITE
        "bigcode.dat": .invalidStatusCode,          // 4294967301
        "insuf.dat": .missingHeader("To"),          // no To, From, Call-ID
        "multi01.dat": .duplicateHeader("To"),      // several To/From/CSeq/Call-ID/Max-Forwards
        "mcl01.dat": .contentLengthMismatch,        // Content-Length 13 and 5
    ]

    /// Invalid messages a tolerant element may accept (RFC 4475 says "may reject").
    static let toleratedInvalid: Set<String> = ["baddate.dat", "regbadct.dat"]

    @Test func resourcesAreComplete() throws {
        let c = try Torture.classification()
        #expect(c.count == 49)
        #expect(c.filter(\.valid).count == 27)
        for (file, valid) in c where !valid {
            #expect(Self.expectedErrors[file] != nil || Self.toleratedInvalid.contains(file), "no expectation for \(file)")
        }
    }

    @Test(arguments: Torture.allFiles)
    func classifiedOutcome(file: String) throws {
        let valid = try #require(try Torture.classification().first { $0.file == file }).valid
        let bytes = try Torture.bytes(file)
        let result = parseResult(bytes)
        if valid || Self.toleratedInvalid.contains(file) {
            let msg = try result.get()
            // Serialising and re-parsing gives the same message.
            #expect(try SIPParser().parse(msg.serialized()) == msg)
        } else {
            guard case .failure(let error) = result else {
                Issue.record("\(file) parsed but should fail with \(String(describing: Self.expectedErrors[file]))")
                return
            }
            #expect(error.code == Self.expectedErrors[file], "\(file): \(error)")
            #expect(!error.context.isEmpty)
        }
    }

    private func request(_ file: String) throws -> SIPRequest {
        try #require(try SIPParser().parse(Torture.bytes(file)).request)
    }

    private func response(_ file: String) throws -> SIPResponse {
        try #require(try SIPParser().parse(Torture.bytes(file)).response)
    }

    @Test func wsinv() throws {
        let r = try request("wsinv")
        #expect(r.method == .invite)
        #expect(r.uri.user == "vivekg")
        #expect(r.uri.host == "chair-dnrc.example.com")
        #expect(r.uri.parameters.items == [SIPParameter("unknownparam")])
        let to = try #require(r.to)
        #expect(to.uri == (try SIPURI(parsing: "sip:vivekg@chair-dnrc.example.com")))
        #expect(to.tag == "1918181833n")
        let from = try #require(r.from)
        #expect(from.displayName == "J Rosenberg \\\"")
        #expect(from.uri.user == "jdrosen")
        #expect(from.tag == "98asjd8")
        #expect(r.headers.maxForwards == 68)
        #expect(r.cseq == SIPCSeq(sequence: 9, method: .invite))
        #expect(r.callID == "wsinv.ndaksdj@192.0.2.1")
        let vias = r.vias
        #expect(vias.count == 3)
        #expect(vias.map(\.transport) == ["UDP", "TCP", "UDP"])
        #expect(vias.map(\.host) == ["192.0.2.2", "spindle.example.com", "192.168.255.111"])
        #expect(vias.map(\.branch) == ["390skdjuw", "z9hG4bK9ikj8", "z9hG4bK30239"])
        #expect(r.headers.first("Subject") == "")
        #expect(r.headers.first("NewFangledHeader") == "newfangled value continued newfangled value")
        #expect(r.headers.first("UnknownHeaderWithUnusualValue") == ";;,,;;,;")
        let route = try #require(r.headers.routes.first)
        #expect(route.uri.isLooseRouting)
        #expect(route.uri.parameters["unknownwith"] == "value")
        #expect(route.uri.parameters.contains("unknown-no-value"))
        let contact = try #require(r.contacts.first)
        #expect(contact.displayName == "Quoted string \"\"")
        #expect(contact.parameters.items == [SIPParameter("newparam", "newvalue"), SIPParameter("secondparam"), SIPParameter("q", "0.33")])
        #expect(r.contentType == "application/sdp")
        #expect(r.body.count == 150)
        // Content-Length is consumed, not kept.
        #expect(!r.headers.contains("Content-Length"))
    }

    @Test func intmeth() throws {
        let r = try request("intmeth")
        #expect(r.method == .extension("!interesting-Method0123456789_*+`.%indeed'~"))
        #expect(r.cseq?.method == r.method)
        #expect(r.cseq?.sequence == 139122385)
        #expect(r.uri.user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
        #expect(r.uri.password == "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
        #expect(r.uri.host == "example.com")
        #expect(r.vias.first?.branch == "z9hG4bK-.!%66*_+`'~")
        let to = try #require(r.to)
        #expect(to.displayName == "BEL:\u{07} NUL:\u{00} DEL:\u{7F}")
        #expect(to.uri.user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
        let from = try #require(r.from)
        #expect(from.displayName == "token1~` token2'+_ token3*%!.-")
        #expect(from.tag == "_token~1'+`*%!-.")
        #expect(from.parameters["fromParam''~+*_!.-%"]?.hasPrefix("\"") == true)
        #expect(r.callID == "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{")
        #expect(r.headers.first("extensionHeader-!.%*+_`'~") != nil)
        #expect(r.headers.maxForwards == 255)
        #expect(r.body.isEmpty)
    }

    @Test func esc01() throws {
        let r = try request("esc01")
        #expect(r.uri.user == "sips:user@example.com")
        #expect(r.uri.host == "example.net")
        // %75se%72 is "user": equivalent to the unescaped URI.
        #expect(r.to?.uri == (try SIPURI(parsing: "sip:user@example.com")))
        #expect(r.from?.uri.user == "I have spaces")
        let contact = try #require(r.contacts.first)
        #expect(contact.uri.user == "caller")
        #expect(contact.uri.parameters.items == [SIPParameter("lr"), SIPParameter("name", "value%41")])
        #expect(r.contentType == "application/sdp")
        #expect(r.body.count == 150)
    }

    @Test func escnull() throws {
        let r = try request("escnull")
        #expect(r.to?.uri.user == "null-\u{0}-null")
        #expect(r.to?.uri.user?.utf8.count == 11)
        #expect(r.contacts.map { $0.uri.user } == ["\u{0}", "\u{0}\u{0}"])
        #expect(r.to?.uri.description == "sip:null-%00-null@example.com")
    }

    @Test func esc02() throws {
        let r = try request("esc02")
        #expect(r.method == .extension("RE%47IST%45R"))
        #expect(r.method != .register)
        #expect(r.to?.displayName == "%Z%45")
        #expect(r.vias.first?.branch == "z9hG4bK209%fzsnel234")
        // C%6Fntact is an extension header, not Contact: two Contact values.
        #expect(r.contacts.count == 2)
        #expect(r.headers.first("C%6Fntact") == "<sip:alias2@host2.example.com>")
    }

    @Test func lwsdisp() throws {
        let r = try request("lwsdisp")
        #expect(r.from?.displayName == "caller")
        #expect(r.from?.uri.user == "caller")
        #expect(r.from?.tag == "323")
    }

    @Test func longreq() throws {
        let r = try request("longreq")
        #expect(r.to?.displayName?.hasPrefix("I have a user name of extremeextreme") == true)
        #expect((r.from?.tag?.count ?? 0) > 100)
        #expect(r.callID?.hasPrefix("longreq.onereallyreallyreally") == true)
        #expect(r.vias.count == 34)
        #expect(r.body.count == 150)
    }

    @Test func dblreq() throws {
        let r = try request("dblreq")
        #expect(r.method == .register)
        #expect(r.callID == "dblreq.0ha0isndaksdj99sdfafnl3lk233412")
        #expect(r.body.isEmpty) // trailing INVITE octets ignored
    }

    @Test func semiuri() throws {
        let r = try request("semiuri")
        #expect(r.uri.user == "user;par=u@example.net")
        #expect(r.uri.host == "example.com")
        #expect(r.uri.parameters.isEmpty)
        #expect(r.headers.all("Accept") == ["application/sdp", "application/pkcs7-mime", "multipart/mixed",
                                             "multipart/signed", "message/sip", "message/sipfrag"])
    }

    @Test func transports() throws {
        let r = try request("transports")
        #expect(r.vias.map(\.transport) == ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"])
        #expect(r.callID == "transports.kijh4akdnaqjkwendsasfdj")
    }

    @Test func mpart01() throws {
        let r = try request("mpart01")
        #expect(r.method == .message)
        #expect(r.body.count == 553)
        #expect(r.body.contains(0))
        #expect(r.contentType == "multipart/mixed;boundary=7a9cbec02ceef655")
        #expect(r.topVia?.rport == .requested)
        #expect(r.topVia?.port == 5070)
    }

    @Test func unreason() throws {
        let r = try response("unreason")
        #expect(r.statusCode == 200)
        #expect(r.reason.hasPrefix("= 2**3 * 5**2 "))
        #expect(r.reason.hasSuffix("простое"))
        #expect(r.body.count == 154)
    }

    @Test func noreason() throws {
        let r = try response("noreason")
        #expect(r.statusCode == 100)
        #expect(r.reason == "")
    }

    @Test func badbranch() throws {
        let r = try request("badbranch")
        #expect(r.topVia?.branch == "z9hG4bK")
    }

    @Test func unknownSchemes() throws {
        let unkscm = try request("unkscm")
        #expect(unkscm.uri.scheme == .other("nobodyknowsthisscheme"))
        #expect(unkscm.uri.opaque == "totallyopaquecontent")
        let novelsc = try request("novelsc")
        #expect(novelsc.uri.scheme == .other("soap.beep"))
        #expect(novelsc.uri.opaque == "//192.0.2.103:3002")
        let unksm2 = try request("unksm2")
        #expect(unksm2.to?.uri.scheme == .other("isbn"))
        #expect(unksm2.to?.uri.opaque == "2983792873")
        #expect(unksm2.from?.uri.scheme == .other("http"))
        #expect(unksm2.from?.tag == "3234233")
        #expect(unksm2.contacts.first?.uri.description == "name:John_Smith")
    }

    @Test func bext01() throws {
        let r = try request("bext01")
        #expect(r.headers.require == ["nothingSupportsThis", "nothingSupportsThisEither"])
        #expect(r.headers.all("Proxy-Require") == ["noProxiesSupportThis", "norDoAnyProxiesSupportThis"])
        #expect(r.topVia?.transport == "TLS")
    }

    @Test func invut() throws {
        let r = try request("invut")
        #expect(r.contentType == "application/unknownformat")
        #expect(r.body.count == 40)
    }

    @Test func regaut01() throws {
        let r = try request("regaut01")
        let cred = try SIPCredentials(parsing: try #require(r.headers.first("Authorization")))
        #expect(cred.scheme == "NoOneKnowsThisScheme")
        #expect(cred.parameter("opaque-data") == "here")
    }

    @Test func bcastAndZeroMaxForwards() throws {
        let b = try response("bcast")
        #expect(b.vias.map(\.host) == ["192.0.2.198", "255.255.255.255"])
        let z = try request("zeromf")
        #expect(z.headers.maxForwards == 0)
    }

    @Test func contactParameters() throws {
        // cparam01: addr-spec form: ;unknownparam is a contact (header) parameter.
        let c1 = try #require(try request("cparam01").contacts.first)
        #expect(c1.uri.parameters.isEmpty)
        #expect(c1.parameters.contains("unknownparam"))
        #expect(c1.uri.user == "+19725552222")
        // cparam02: inside <>: it is a URI parameter.
        let c2 = try #require(try request("cparam02").contacts.first)
        #expect(c2.uri.parameters.contains("unknownparam"))
        #expect(c2.parameters.isEmpty)
    }

    @Test func regescrt() throws {
        let c = try #require(try request("regescrt").contacts.first)
        #expect(c.uri.headers.items == [SIPParameter("Route", "<sip:sip.example.com>")])
        #expect(c.uri.description == "sip:user@example.com?Route=%3Csip:sip.example.com%3E")
    }

    @Test func sdp01AndInv2543() throws {
        #expect(try request("sdp01").headers.first("Accept") == "text/nobodyKnowsThis")
        let r = try request("inv2543")
        #expect(r.headers.maxForwards == nil)
        #expect(r.from?.tag == nil)
        #expect(r.topVia?.branch == nil)
        #expect(r.topVia?.hasRFC3261Branch == false)
        #expect(r.body.count == 105) // no Content-Length: rest of the datagram
    }

    @Test func toleratedInvalidMessages() throws {
        // baddate: a non-GMT Date is not a framing problem; the raw value is kept.
        #expect(try request("baddate").headers.first("Date") == "Fri, 01 Jan 2010 16:00:00 EST")
        // regbadct: the message parses, but the Contact (URI with ? outside <>) is rejected when used.
        let r = try request("regbadct")
        let raw = try #require(r.headers.first("Contact"))
        #expect(throws: SIPParseError.self) { try SIPNameAddress(parsing: raw) }
        #expect(r.contacts.isEmpty)
    }

    @Test func invalidMessageContexts() throws {
        #expect(parseError(try Torture.bytes("mismatch01"))?.context == "CSeq: method INVITE does not match request method OPTIONS")
        #expect(parseError(try Torture.bytes("scalar02"))?.context.contains("36893488147419103232") == true)
        #expect(parseError(try Torture.bytes("clerr"))?.context.contains("9999") == true)
    }
}
