import SIPCore

/// Turns the bytes of one stream connection into SIP messages and keep-alive pings.
///
/// ``SIPStreamFramer`` frames the messages (Content-Length, bounds) and skips the CR/LF bytes between them;
/// this decoder also watches those bytes for RFC 5626 pings ("\r\n\r\n"), which must be answered with a
/// pong ("\r\n"). Pure: no I/O, any read granularity.
struct SIPStreamDecoder: Sendable {
    /// What the bytes carried, in order.
    enum Event: Sendable, Equatable {
        /// A complete message.
        case message(SIPMessage)
        /// A keep-alive ping: answer "\r\n".
        case ping
        /// A well-framed message that failed validation (e.g. no To); it was skipped, the stream goes on.
        case invalidMessage(SIPParseError)
        /// The stream broke its framing (permanent): close the connection.
        case framingError(SIPParseError)
    }

    private var framer: SIPStreamFramer
    private var keepAlive = SIPKeepAliveDetector()

    init(limits: SIPLimits) {
        self.framer = SIPStreamFramer(limits: limits)
    }

    /// Decodes the next bytes of the stream.
    ///
    /// A framing error (bad or missing Content-Length, oversized message, unparsable head) is the last
    /// event: the stream cannot be resynchronised, close the connection. Later calls return nothing.
    mutating func decode(_ bytes: [UInt8]) -> [Event] {
        guard framer.error == nil else { return [] }
        var events: [Event] = []
        var start = 0
        if framer.bufferedByteCount == 0 {
            // Between messages: the leading CR/LF bytes are keep-alives; the framer need not see them.
            start = scanKeepAlives(bytes[...], into: &events)
            if start == bytes.count { return events }
        }
        framer.append(bytes[start...])
        while true {
            let message: SIPMessage?
            do {
                message = try framer.next()
            } catch {
                if framer.error != nil {
                    events.append(.framingError(error))
                    return events
                }
                events.append(.invalidMessage(error))
                afterMessage(bytes, into: &events)
                continue
            }
            guard let message else { return events }
            events.append(.message(message))
            afterMessage(bytes, into: &events)
        }
    }

    /// A message ended inside `bytes`: what the framer still holds is the tail of `bytes`, and its leading
    /// CR/LF bytes (which the framer will skip) may be a ping.
    private mutating func afterMessage(_ bytes: [UInt8], into events: inout [Event]) {
        keepAlive.reset()
        let left = framer.bufferedByteCount
        guard left > 0, left <= bytes.count else { return }
        _ = scanKeepAlives(bytes[(bytes.count - left)...], into: &events)
    }

    /// Feeds the leading CR/LF bytes of `bytes` to the keep-alive detector; returns where they end.
    private mutating func scanKeepAlives(_ bytes: ArraySlice<UInt8>, into events: inout [Event]) -> Int {
        var index = bytes.startIndex
        while index < bytes.endIndex, bytes[index] == 0x0D || bytes[index] == 0x0A {
            if keepAlive.feed(bytes[index]) { events.append(.ping) }
            index += 1
        }
        if index < bytes.endIndex { keepAlive.reset() }
        return index
    }
}
