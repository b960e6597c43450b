import SIPCore
import Testing

@Suite("Headers and typed values")
struct HeaderTests {
    @Test func headerListOperations() {
        var h = SIPHeaders()
        h.add("v", "SIP/2.0/UDP a;branch=z9hG4bK1")
        h.add("Route", "<sip:p1.example.com;lr>, \"Proxy, Two\" <sip:p2.example.com;lr>")
        h.add("route", "<sip:p3.example.com;lr>")
        h.add("Allow", "INVITE, ACK,OPTIONS ,, BYE")
        h.add("Contact", "\"Doe, John\" <sip:j@x;a=\"1,2\">;q=0.5, sip:k@y")
        h.add("Subject", "Hello, world")
        #expect(h.first("VIA") == "SIP/2.0/UDP a;branch=z9hG4bK1")
        #expect(h.all("Route") == ["<sip:p1.example.com;lr>", "\"Proxy, Two\" <sip:p2.example.com;lr>", "<sip:p3.example.com;lr>"])
        #expect(h.allow == [.invite, .ack, .options, .bye])
        #expect(h.all("m") == ["\"Doe, John\" <sip:j@x;a=\"1,2\">;q=0.5", "sip:k@y"])
        #expect(h.all("Subject") == ["Hello, world"])
        #expect(h.routes.count == 3)
        #expect(h.routes[1].displayName == "Proxy, Two")
        h.set("ROUTE", "<sip:only@example.com>")
        #expect(h.all("Route") == ["<sip:only@example.com>"])
        #expect(h.map(\.name) == ["Via", "Route", "Allow", "Contact", "Subject"])
        h.remove("s")
        #expect(!h.contains("Subject"))
        h.set("X-New", "1")
        #expect(h.map(\.name).last == "X-New")
        #expect(h.count == 5)
    }

    @Test func integerAccessors() {
        var h: SIPHeaders = ["Expires": "3600", "Min-Expires": " 60 ", "Retry-After": "120 (I'm in a meeting);duration=60",
                             "Max-Forwards": "70", "SIP-ETag": " dx200xyz ", "SIP-If-Match": "kwj449x"]
        #expect(h.expires == 3600)
        #expect(h.minExpires == 60)
        #expect(h.retryAfter == 120)
        #expect(h.maxForwards == 70)
        #expect(h.sipETag == "dx200xyz")
        #expect(h.sipIfMatch == "kwj449x")
        h.expires = 10
        #expect(h.first("Expires") == "10")
        h.set("Expires", "1000000000000000000000000000000")
        #expect(h.expires == 4294967295)
        h.set("Expires", "soon")
        #expect(h.expires == nil)
        h.set("Max-Forwards", "300")
        #expect(h.maxForwards == nil)
        h.sipIfMatch = nil
        #expect(!h.contains("SIP-If-Match"))
        h.add("Content-Length", "12")
        #expect(h.contentLength == 12)
    }

    @Test func nameAddressForms() throws {
        let a = try SIPNameAddress(parsing: "sip:alice@example.com;tag=abc")
        #expect(a.displayName == nil)
        #expect(a.uri.parameters.isEmpty) // addr-spec does not absorb header params
        #expect(a.tag == "abc")
        #expect(a.description == "<sip:alice@example.com>;tag=abc")
        let b = try SIPNameAddress(parsing: "\"Alice \\\"A\\\" Smith\" <sip:alice@example.com;transport=tcp>;tag=1;expires=60")
        #expect(b.displayName == "Alice \"A\" Smith")
        #expect(b.uri.transportParameter == "tcp")
        #expect(b.parameters["expires"] == "60")
        #expect(try SIPNameAddress(parsing: b.description) == b)
        let c = try SIPNameAddress(parsing: "Bob  Smith <sip:bob@example.com>")
        #expect(c.displayName == "Bob Smith")
        let d = try SIPNameAddress(parsing: "<sip:carol@example.com>;+sip.instance=\"<urn:uuid:1>\";reg-id=1")
        #expect(d.parameters["+sip.instance"] == "\"<urn:uuid:1>\"")
        #expect(try SIPNameAddress(parsing: d.description) == d)
        var e = SIPNameAddress(displayName: "Zoë", uri: try SIPURI(parsing: "sip:zoe@example.com"))
        e.tag = "t1"
        #expect(e.description == "\"Zoë\" <sip:zoe@example.com>;tag=t1")
        for bad in ["", "Bell, Alexander <sip:a@b>", "\"open <sip:a@b>", "<sip:a@b", "< sip:a@b>", "sip:a@b?x=y",
                    "<sip:a@b> junk", "<sip:a@b>;", "<sip:a@b>;tag=", "<sip:a@b>;tag=\"x", "sip:a@b, sip:c@d"] {
            #expect(throws: SIPParseError.self, "\(bad)") { try SIPNameAddress(parsing: bad) }
        }
    }

    @Test func via() throws {
        let v = try SIPVia(parsing: "SIP / 2.0 / UDP   [2001:db8::9] : 5062 ; branch = z9hG4bKabc ; rport ; received=192.0.2.1")
        #expect(v.transport == "UDP")
        #expect(v.host == "2001:db8::9")
        #expect(v.port == 5062)
        #expect(v.branch == "z9hG4bKabc")
        #expect(v.rport == .requested)
        #expect(v.received == "192.0.2.1")
        #expect(v.hasRFC3261Branch)
        #expect(v.description == "SIP/2.0/UDP [2001:db8::9]:5062;branch=z9hG4bKabc;rport;received=192.0.2.1")
        var w = SIPVia(transport: "TCP", host: "pc.example.com", port: 5060, branch: "z9hG4bK1")
        w.rport = .requested
        #expect(w.description == "SIP/2.0/TCP pc.example.com:5060;branch=z9hG4bK1;rport")
        w.rport = .value(40000)
        w.received = "198.51.100.1"
        #expect(w.description == "SIP/2.0/TCP pc.example.com:5060;branch=z9hG4bK1;rport=40000;received=198.51.100.1")
        #expect(try SIPVia(parsing: w.description) == w)
        for bad in ["SIP/2.0/UDP", "SIP/2.0 UDP host", "SIP/2.0/UDPhost", "SIP/2.0/UDP host:99999", "SIP/2.0/UDP host;;", "SIP/2.0/UDP host junk"] {
            #expect(throws: SIPParseError.self, "\(bad)") { try SIPVia(parsing: bad) }
        }
    }

    @Test func eventAndSubscriptionState() throws {
        let e = try SIPEventHeader(parsing: "presence.winfo;id=abc")
        #expect(e.package == "presence")
        #expect(e.templates == ["winfo"])
        #expect(e.eventType == "presence.winfo")
        #expect(e.id == "abc")
        #expect(e.description == "presence.winfo;id=abc")
        let sla = try SIPEventHeader(parsing: "dialog;sla;include-session-description")
        #expect(sla.package == "dialog")
        #expect(sla.parameters.contains("sla"))
        #expect(try SIPEventHeader(parsing: sla.description) == sla)
        #expect(throws: SIPParseError.self) { try SIPEventHeader(parsing: "presence..winfo") }
        #expect(throws: SIPParseError.self) { try SIPEventHeader(parsing: ";id=1") }

        let s = try SIPSubscriptionState(parsing: "terminated;reason=timeout;retry-after=30")
        #expect(s.state == .terminated)
        #expect(s.reason == "timeout")
        #expect(s.retryAfter == 30)
        #expect(s.expires == nil)
        let a = try SIPSubscriptionState(parsing: "Active ; expires = 3600")
        #expect(a.state == .active)
        #expect(a.expires == 3600)
        #expect(SIPSubscriptionState(state: .pending, expires: 60).description == "pending;expires=60")
        #expect(try SIPSubscriptionState(parsing: "waiting").state == .other("waiting"))
        #expect(throws: SIPParseError.self) { try SIPSubscriptionState(parsing: "") }
    }

    @Test func cseq() throws {
        #expect(try SIPCSeq(parsing: " 0009\t INVITE ") == SIPCSeq(sequence: 9, method: .invite))
        #expect(try SIPCSeq(parsing: "4294967295 NOTIFY").sequence == UInt32.max)
        #expect(throws: SIPParseError.self) { try SIPCSeq(parsing: "4294967296 NOTIFY") }
        #expect(throws: SIPParseError.self) { try SIPCSeq(parsing: "-1 NOTIFY") }
        #expect(throws: SIPParseError.self) { try SIPCSeq(parsing: "1NOTIFY") }
        #expect(SIPCSeq(sequence: 2, method: .subscribe).description == "2 SUBSCRIBE")
    }
}

@Suite("Serialization")
struct SerializationTests {
    @Test func publishRoundTrip() throws {
        let original = Samples.publish()
        let wire = original.serialized()
        let text = String(decoding: wire, as: UTF8.self)
        #expect(text.hasPrefix("PUBLISH sip:alice@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport\r\n"))
        #expect(text.contains("\r\nContent-Length: \(Samples.publishBody.count)\r\n\r\n<?xml"))
        let parsed = try SIPParser().parse(wire)
        #expect(parsed == .request(original))
        let r = try #require(parsed.request)
        #expect(r.event?.package == "presence")
        #expect(r.expires == 3600)
        #expect(r.headers.sipIfMatch == "dx200xyz")
        #expect(r.contentType == "application/pidf+xml")
        #expect(r.body == Samples.publishBody)
        #expect(r.from?.displayName == "Alice")
        #expect(r.topVia?.rport == .requested)
    }

    @Test func serializerWritesFullNamesAndCorrectContentLength() throws {
        var h = SIPHeaders()
        h.add("v", "SIP/2.0/UDP h;branch=z9hG4bK1")
        h.add("t", "<sip:a@b>")
        h.add("f", "<sip:c@d>;tag=1")
        h.add("i", "id1")
        h.add("CSEQ", "1 MESSAGE")
        h.add("c", "text/plain")
        h.add("l", "999")  // ignored: the serializer writes the real length
        h.add("X-Evil", "a\r\nInjected: yes")
        let req = SIPRequest(method: .message, uri: try SIPURI(parsing: "sip:a@b"), headers: h, body: Array("hi".utf8))
        let text = String(decoding: req.serialized(), as: UTF8.self)
        #expect(text == "MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: <sip:a@b>\r\nFrom: <sip:c@d>;tag=1\r\nCall-ID: id1\r\nCSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\nX-Evil: a  Injected: yes\r\nContent-Length: 2\r\n\r\nhi")
        let resp = SIPResponse(statusCode: 202, reason: "Accepted", headers: h)
        #expect(String(decoding: resp.serialized(), as: UTF8.self).hasPrefix("SIP/2.0 202 Accepted\r\n"))
        #expect(String(decoding: SIPMessage.response(resp).serialized(), as: UTF8.self).hasSuffix("Content-Length: 0\r\n\r\n"))
    }

    @Test func typedSettersBuildAValidMessage() throws {
        var h = SIPHeaders()
        h.add("Via", SIPVia(transport: "UDP", host: "192.0.2.1", port: 5060, branch: "z9hG4bKx").description)
        h.to = SIPNameAddress(uri: try SIPURI(parsing: "sip:bob@example.com"))
        h.from = SIPNameAddress(displayName: "Alice", uri: try SIPURI(parsing: "sip:alice@example.com"), parameters: [SIPParameter("tag", "9")])
        h.callID = "c1"
        h.cseq = SIPCSeq(sequence: 1, method: .subscribe)
        h.event = SIPEventHeader(package: "presence")
        h.expires = 600
        h.maxForwards = 70
        let req = SIPRequest(method: .subscribe, uri: try SIPURI(parsing: "sip:bob@example.com"), headers: h)
        let parsed = try SIPParser().parse(req.serialized())
        #expect(parsed == .request(req))
        #expect(parsed.event == SIPEventHeader(package: "presence"))
        #expect(parsed.from?.tag == "9")
    }
}

@Suite("Response building")
struct ResponseBuildingTests {
    @Test func replyCopiesTransactionHeaders() throws {
        let req = try #require(try SIPParser().parse(Torture.bytes("transports")).request)
        let resp = SIPResponse(replyingTo: req, statusCode: 200, toTag: "srv1")
        #expect(resp.reason == "OK")
        #expect(resp.headers.all("Via") == req.headers.all("Via"))
        #expect(resp.to?.tag == "srv1")
        #expect(resp.to?.uri == req.to?.uri)
        #expect(resp.from == req.from)
        #expect(resp.callID == req.callID)
        #expect(resp.cseq == req.cseq)
        let parsed = try SIPParser().parse(resp.serialized())
        #expect(parsed == .response(resp))
        #expect(SIPResponse.defaultReason(for: 489) == "Bad Event")
        #expect(SIPResponse.defaultReason(for: 299) == "")
    }
}
