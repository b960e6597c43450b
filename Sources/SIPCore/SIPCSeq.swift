/// The CSeq header value (RFC 3261 §20.16): a 32-bit sequence number and a method.
public struct SIPCSeq: Hashable, Sendable, CustomStringConvertible {
    /// Sequence number (must fit in 32 bits).
    public var sequence: UInt32
    /// Method.
    public var method: SIPMethod

    /// Creates a CSeq.
    public init(sequence: UInt32, method: SIPMethod) {
        self.sequence = sequence
        self.method = method
    }

    /// Parses `1*DIGIT LWS Method`. Throws `.invalidHeaderValue`.
    public init(parsing string: String) throws(SIPParseError) {
        var s = SIPScanner(string, what: "CSeq")
        s.skipLWS()
        let digits = s.scan(while: SIPLexer.isDigit)
        guard !digits.isEmpty else { throw s.error("missing sequence number in '\(string.prefix(40))'") }
        guard let n = SIPLexer.parseDecimal(digits, max: UInt64(UInt32.max)) else {
            throw s.error("sequence number \(String(decoding: digits.prefix(40), as: UTF8.self)) does not fit in 32 bits")
        }
        let before = s.index
        s.skipLWS()
        guard s.index > before, let m = s.scanToken() else { throw s.error("missing method in '\(string.prefix(40))'") }
        s.skipLWS()
        guard s.isAtEnd else { throw s.error("unexpected text after method") }
        sequence = UInt32(n)
        method = SIPMethod(m)
    }

    /// `"<sequence> <METHOD>"`.
    public var description: String { "\(sequence) \(method.name)" }
}
