import Foundation
import SIPCore
import Testing
@testable import SIPStack

/// Framing plus keep-alive detection, without sockets.
@Suite struct SIPStreamDecoderTests {
    let request = StreamTestSupport.request(callID: "decoder-1", body: "hello")

    func messages(_ events: [SIPStreamDecoder.Event]) -> [SIPMessage] {
        events.compactMap { if case .message(let m) = $0 { m } else { nil } }
    }

    @Test func wholeAndByteByByteGiveTheSameMessage() {
        let bytes = request.serialized()
        var whole = SIPStreamDecoder(limits: .default)
        #expect(messages(whole.decode(bytes)) == [StreamTestSupport.wire(request)])

        var split = SIPStreamDecoder(limits: .default)
        var events: [SIPStreamDecoder.Event] = []
        for byte in bytes { events += split.decode([byte]) }
        #expect(events == [.message(StreamTestSupport.wire(request))])
    }

    @Test func pingsBetweenMessagesAreReportedInAnyGranularity() {
        let stream = Array("\r\n\r\n".utf8) + request.serialized() + Array("\r\n\r\n\r\n\r\n".utf8) + request.serialized()
        for chunk in [1, 2, 3, 7, stream.count] {
            var decoder = SIPStreamDecoder(limits: .default)
            var events: [SIPStreamDecoder.Event] = []
            var index = 0
            while index < stream.count {
                events += decoder.decode(Array(stream[index..<min(stream.count, index + chunk)]))
                index += chunk
            }
            let wire = StreamTestSupport.wire(request)
            #expect(events == [.ping, .message(wire), .ping, .ping, .message(wire)], "chunk size \(chunk)")
        }
    }

    @Test func aPongOrLoneCRLFIsNotAPing() {
        var decoder = SIPStreamDecoder(limits: .default)
        #expect(decoder.decode(Array("\r\n".utf8)) == [])
        #expect(decoder.decode(request.serialized()) == [.message(StreamTestSupport.wire(request))])
        #expect(decoder.decode(Array("\n\n".utf8)) == [])
    }

    @Test func badContentLengthIsAFramingErrorAfterEarlierMessages() {
        var decoder = SIPStreamDecoder(limits: .default)
        var bad = String(decoding: StreamTestSupport.request(callID: "x").serialized(), as: UTF8.self)
        bad = bad.replacingOccurrences(of: "Content-Length: 0", with: "Content-Length: banana")
        let events = decoder.decode(request.serialized() + Array(bad.utf8))
        #expect(events.count == 2)
        #expect(events.first == .message(StreamTestSupport.wire(request)))
        guard case .framingError = events.last else { Issue.record("\(events)"); return }
        // Permanent: nothing more comes out of this stream.
        #expect(decoder.decode(request.serialized()) == [])
    }

    @Test func aWellFramedInvalidMessageIsSkippedAndTheStreamGoesOn() {
        var decoder = SIPStreamDecoder(limits: .default)
        let noTo = Array("OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bKx\r\nFrom: <sip:a@h>;tag=1\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n".utf8)
        let events = decoder.decode(noTo + Array("\r\n\r\n".utf8) + request.serialized())
        #expect(events.count == 3)
        guard case .invalidMessage = events.first else { Issue.record("\(events)"); return }
        #expect(Array(events.dropFirst()) == [.ping, .message(StreamTestSupport.wire(request))])
    }

    @Test func keepAliveDetectorMatchesOnlyCRLFCRLF() {
        var detector = SIPKeepAliveDetector()
        func feed(_ text: String) -> [Bool] { Array(text.utf8).map { detector.feed($0) } }
        #expect(feed("\r\n\r") == [false, false, false])
        #expect(feed("\n") == [true])
        #expect(feed("\r\r\n\r\n") == [false, false, false, false, true])
        #expect(feed("\n\n\n\n") == [false, false, false, false])
    }
}
