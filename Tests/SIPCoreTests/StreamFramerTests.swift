import SIPCore
import Testing

@Suite("Stream framer")
struct StreamFramerTests {
    static func messages() throws -> [SIPMessage] {
        var notify = SIPHeaders()
        notify.add("Via", "SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bKnotify1")
        notify.add("To", "<sip:watcher@example.com>;tag=w1")
        notify.add("From", "<sip:alice@example.com>;tag=p1")
        notify.add("Call-ID", "sub-1@192.0.2.1")
        notify.add("CSeq", "2 NOTIFY")
        notify.add("Event", "presence;id=7")
        notify.add("Subscription-State", "active;expires=599")
        notify.add("Content-Type", "text/plain")
        // Body containing CRLFCRLF and something that looks like a start line.
        let body = Array("line1\r\n\r\nSIP/2.0 200 OK\r\n\r\n".utf8)
        var ok = SIPHeaders()
        ok.add("Via", "SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bKnotify1")
        ok.add("To", "<sip:watcher@example.com>;tag=w1")
        ok.add("From", "<sip:alice@example.com>;tag=p1")
        ok.add("Call-ID", "sub-1@192.0.2.1")
        ok.add("CSeq", "2 NOTIFY")
        var options = SIPHeaders()
        options.add("Via", "SIP/2.0/TCP 192.0.2.9;branch=z9hG4bKopt")
        options.add("To", "<sip:bob@example.com>")
        options.add("From", "<sip:alice@example.com>;tag=x")
        options.add("Call-ID", "opt@192.0.2.9")
        options.add("CSeq", "9 OPTIONS")
        return [
            .request(Samples.publish()),
            .request(SIPRequest(method: .notify, uri: try SIPURI(parsing: "sip:watcher@192.0.2.7:5060;transport=tcp"), headers: notify, body: body)),
            .response(SIPResponse(statusCode: 200, reason: "OK", headers: ok)),
            .request(SIPRequest(method: .options, uri: try SIPURI(parsing: "sip:bob@example.com"), headers: options)),
        ]
    }

    static func stream(_ messages: [SIPMessage]) -> [UInt8] {
        var s: [UInt8] = Array("\r\n\r\n".utf8)
        for (i, m) in messages.enumerated() {
            s += m.serialized()
            if i % 2 == 0 { s += Array("\r\n\r\n".utf8) } else if i == 1 { s += Array("\r\n".utf8) }
        }
        return s
    }

    @Test func dripFeedOneByteAtATime() throws {
        let expected = try Self.messages()
        var framer = SIPStreamFramer()
        var got: [SIPMessage] = []
        for b in Self.stream(expected) {
            framer.append(CollectionOfOne(b))
            while let m = try framer.next() { got.append(m) }
        }
        #expect(got == expected)
        #expect(framer.bufferedByteCount == 0)
    }

    @Test func arbitraryChunkSizes() throws {
        let expected = try Self.messages()
        let stream = Self.stream(expected) + Self.stream(expected)
        var rng = SplitMix64(seed: 42)
        for _ in 0..<50 {
            var framer = SIPStreamFramer()
            var got: [SIPMessage] = []
            var i = 0
            while i < stream.count {
                let n = Int.random(in: 1...700, using: &rng)
                framer.append(stream[i..<min(i + n, stream.count)])
                i += n
                while let m = try framer.next() { got.append(m) }
            }
            #expect(got == expected + expected)
        }
    }

    @Test func headerSectionBeyondBoundFailsInsteadOfGrowing() throws {
        var framer = SIPStreamFramer(limits: SIPLimits(maxMessageSize: 1000))
        var bytes = Array("OPTIONS sip:a@b SIP/2.0\r\n".utf8)
        while bytes.count < 3000 { bytes += Array("X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n".utf8) }
        var thrown: SIPParseError?
        for b in bytes {
            framer.append(CollectionOfOne(b))
            do throws(SIPParseError) {
                _ = try framer.next()
            } catch {
                thrown = error
                break
            }
            #expect(framer.bufferedByteCount <= 1001)
        }
        #expect(thrown?.code == .messageTooLarge)
        #expect(framer.bufferedByteCount == 0)
        // Sticky: later input is ignored and the error repeats.
        framer.append(try Self.messages()[0].serialized())
        #expect(throws: SIPParseError.self) { try framer.next() }
        #expect(framer.error?.code == .messageTooLarge)
    }

    @Test func appendWithoutDrainingIsBounded() {
        var framer = SIPStreamFramer(limits: SIPLimits(maxMessageSize: 1000))
        for _ in 0..<100 { framer.append([UInt8](repeating: 0x41, count: 100)) }
        #expect(framer.bufferedByteCount <= 2000)
        #expect(framer.error?.code == .messageTooLarge)
    }

    @Test func oversizedContentLengthFailsEarly() throws {
        var framer = SIPStreamFramer(limits: SIPLimits(maxMessageSize: 1000, maxBodySize: 100_000))
        var text = ParserTests.minimalHead.replacingOccurrences(of: "\n", with: "\r\n")
        text += "Content-Length: 5000\r\n\r\n"
        framer.append(Array(text.utf8))
        #expect(throws: SIPParseError(.messageTooLarge, "message of \(text.utf8.count + 5000) bytes exceeds limit 1000")) { try framer.next() }
    }

    @Test func contentLengthIsMandatoryOnStreams() {
        var framer = SIPStreamFramer()
        framer.append([UInt8](crlf: ParserTests.minimalHead + "\n"))
        #expect(throws: SIPParseError.self) { try framer.next() }
        #expect(framer.error?.code == .missingHeader("Content-Length"))
    }

    @Test func invalidButWellFramedMessageIsSkipped() throws {
        let bad = [UInt8](crlf: ParserTests.minimalHead.replacingOccurrences(of: "To: <sip:bob@example.com>\n", with: "") + "Content-Length: 2\n\nhi")
        let good = try Self.messages()[3]
        var framer = SIPStreamFramer()
        framer.append(bad + good.serialized())
        #expect(throws: SIPParseError.self) { try framer.next() }
        #expect(try framer.next() == good)
        #expect(try framer.next() == nil)
    }

    @Test func keepAlivesAloneYieldNothing() throws {
        var framer = SIPStreamFramer()
        for _ in 0..<1000 { framer.append(Array("\r\n\r\n".utf8)) }
        #expect(try framer.next() == nil)
        #expect(framer.bufferedByteCount == 0)
    }
}
