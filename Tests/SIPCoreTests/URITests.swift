import SIPCore
import Testing

@Suite("SIPURI")
struct URITests {
    @Test(arguments: [
        "sip:alice@example.com",
        "sips:alice:secret@example.com:5061;transport=tls",
        "sip:example.com;lr",
        "sip:+15551234567@gw.example.com;user=phone",
        "sip:alice@[2001:db8::1]:5060;maddr=[2001:db8::2]",
        "sip:bob@192.0.2.4?subject=project%20x&priority=urgent",
        "tel:+1-201-555-0123;phone-context=example.com",
        "sip:alice%40home@example.com",
        "sip:user;par=u%40example.net@example.com",
        "http://www.example.com/a?b=c",
        "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
    ])
    func roundTrip(text: String) throws {
        let u = try SIPURI(parsing: text)
        #expect(u.description == text)
        #expect(try SIPURI(parsing: u.description) == u)
    }

    @Test func components() throws {
        let u = try SIPURI(parsing: "SIPS:alice:pw@Example.COM:5061;transport=TLS;lr;x=%41?h=%3Cv%3E")
        #expect(u.scheme == .sips)
        #expect(u.user == "alice")
        #expect(u.password == "pw")
        #expect(u.host == "Example.COM")
        #expect(u.port == 5061)
        #expect(u.transportParameter == "TLS")
        #expect(u.isLooseRouting)
        #expect(u.parameters["x"] == "A")
        #expect(u.headers["h"] == "<v>")
        #expect(u.addressOfRecord == "sips:alice@Example.COM")
        let v6 = try SIPURI(parsing: "sip:[::1]:5070")
        #expect(v6.host == "::1")
        #expect(v6.port == 5070)
        let tel = try SIPURI(parsing: "tel:+358-555-1234567;postd=pp22")
        #expect(tel.scheme == .tel)
        #expect(tel.user == "+358-555-1234567")
        #expect(tel.parameters["postd"] == "pp22")
    }

    @Test func escapingIsNormalisedAndEquivalent() throws {
        #expect(try SIPURI(parsing: "sip:%61lice@example.com") == (try SIPURI(parsing: "sip:alice@example.com")))
        var u = SIPURI(host: "example.com")
        u.user = "J. Smith <js>"
        u.parameters.set("x", "a b;c")
        #expect(u.description == "sip:J.%20Smith%20%3Cjs%3E@example.com;x=a%20b%3Bc")
        #expect(try SIPURI(parsing: u.description) == u)
        // A % that is not an escape is kept literally and re-escaped on output.
        let p = try SIPURI(parsing: "sip:100%zz@example.com")
        #expect(p.user == "100%zz")
        #expect(p.description == "sip:100%25zz@example.com")
    }

    @Test(arguments: [
        "", "alice@example.com", "sip:", "sip:@example.com", "sip:alice@", "sip:alice@exa mple.com",
        "sip:alice@example.com:", "sip:alice@example.com:70000", "sip:alice@example.com:12a", "sip:alice@[::1",
        "sip:alice@[zz::1]", "sip:a@b;", "sip:a@b;=x", "sip:a@b?", "sip:a@b?x&", "<sip:a@b>", "sip:a@b>",
        "sip:a\u{7F}@b", "sip:%FF@b", "sip:a@b/c", "1sip:a@b", "tel:", "tel:;x", "foo:",
    ])
    func rejects(text: String) {
        #expect(throws: SIPParseError.self) { try SIPURI(parsing: text) }
        do {
            _ = try SIPURI(parsing: text)
        } catch {
            #expect(error.code == .malformedURI)
        }
    }

    @Test func methodNames() {
        #expect(SIPMethod("PUBLISH") == .publish)
        #expect(SIPMethod("publish") == .extension("publish"))
        #expect(SIPMethod.extension("SUBSCRIBE") == .subscribe)
        #expect(Set([SIPMethod.notify, SIPMethod("NOTIFY")]).count == 1)
        #expect(SIPMethod.refer.description == "REFER")
        #expect(SIPMethod("FOO").isValidToken)
        #expect(!SIPMethod("FO O").isValidToken)
    }
}
