/// Splits a byte stream (TCP/TLS) into SIP messages (RFC 3261 §18.3).
///
/// Content-Length is mandatory on streams. CRLF keep-alives (RFC 5626 §3.5.1)
/// between messages are skipped. Works with input of any granularity, down to
/// one byte per `append`.
///
/// Bounds: a message (head + body) may not exceed `limits.maxMessageSize`,
/// and the unconsumed buffer may not exceed twice that (call `next()` until it
/// returns nil after each `append`). Framing errors (oversized input, missing
/// or bad Content-Length, unparsable head) are sticky: the framer discards its
/// buffer and every later `next()` rethrows, since the stream cannot be
/// resynchronised — close the connection. A well-framed message that fails
/// validation (e.g. a missing To) is consumed and its error thrown once;
/// the stream continues with the next message.
public struct SIPStreamFramer: Sendable {
    /// Bounds enforced on the stream.
    public let limits: SIPLimits
    private let parser: SIPParser
    private var buffer: [UInt8] = []
    private var start = 0
    private var scanFrom = 0
    private var pending: (head: SIPParser.Head, headLength: Int, bodyLength: Int)?
    private var failure: SIPParseError?

    /// Creates a framer.
    public init(limits: SIPLimits = .default) {
        self.limits = limits
        self.parser = SIPParser(limits: limits)
    }

    /// Bytes received but not yet returned as messages.
    public var bufferedByteCount: Int { buffer.count - start }

    /// The sticky framing error, if the stream has failed.
    public var error: SIPParseError? { failure }

    /// Appends received bytes. Exceeding the buffer bound makes the framer fail.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        guard failure == nil else { return }
        if buffer.count - start + bytes.count > 2 * limits.maxMessageSize {
            fail(SIPParseError(.messageTooLarge, "stream buffer would exceed \(2 * limits.maxMessageSize) bytes"))
            return
        }
        if start > 0, start >= buffer.count / 2 {
            buffer.removeFirst(start)
            scanFrom -= start
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    private mutating func fail(_ error: SIPParseError) {
        failure = error
        buffer = []
        start = 0
        scanFrom = 0
        pending = nil
    }

    /// Returns the next complete message, nil if more bytes are needed.
    public mutating func next() throws(SIPParseError) -> SIPMessage? {
        if let failure { throw failure }
        if pending == nil {
            while start < buffer.count, buffer[start] == 0x0D || buffer[start] == 0x0A { start += 1 }
            if scanFrom < start { scanFrom = start }
            guard let headEnd = findHeadEnd() else {
                if buffer.count - start > limits.maxMessageSize {
                    let e = SIPParseError(.messageTooLarge, "no end of header section within \(limits.maxMessageSize) bytes")
                    fail(e)
                    throw e
                }
                return nil
            }
            let headLength = headEnd - start
            let result = buffer.withUnsafeBufferPointer { all in
                Result { () throws(SIPParseError) -> SIPParser.Head in
                    try parser.parseHead(UnsafeBufferPointer(rebasing: all[start..<headEnd]), from: 0)
                }
            }
            do throws(SIPParseError) {
                let head = try result.get()
                guard let cl = try parser.contentLength(of: head) else {
                    throw SIPParseError(.missingHeader("Content-Length"), "Content-Length is required on stream transports")
                }
                if headLength + cl > limits.maxMessageSize {
                    throw SIPParseError(.messageTooLarge, "message of \(headLength + cl) bytes exceeds limit \(limits.maxMessageSize)")
                }
                pending = (head, headLength, cl)
            } catch {
                fail(error)
                throw error
            }
        }
        guard let p = pending, buffer.count - start >= p.headLength + p.bodyLength else { return nil }
        let bodyStart = start + p.headLength
        let body = Array(buffer[bodyStart..<(bodyStart + p.bodyLength)])
        start = bodyStart + p.bodyLength
        scanFrom = start
        pending = nil
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.count <= 4 * 65536)
            start = 0
            scanFrom = 0
        }
        return try parser.assemble(p.head, body: body)
    }

    /// Finds the offset just past the empty line ending the head (CRLFCRLF, LFLF or LFCRLF).
    private mutating func findHeadEnd() -> Int? {
        let n = buffer.count
        var i = scanFrom
        while i < n {
            if buffer[i] == 0x0A {
                if i + 1 >= n { break }
                if buffer[i + 1] == 0x0A { return i + 2 }
                if buffer[i + 1] == 0x0D {
                    if i + 2 >= n { break }
                    if buffer[i + 2] == 0x0A { return i + 3 }
                }
            }
            i += 1
        }
        scanFrom = i
        return nil
    }
}
