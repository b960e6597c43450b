/// Character classes and small helpers shared by the parsers (RFC 3261 §25.1).
enum SIPLexer {
    @inline(__always) static func isAlpha(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A }
    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    @inline(__always) static func isAlphaNum(_ c: UInt8) -> Bool { isAlpha(c) || isDigit(c) }
    @inline(__always) static func isHexDigit(_ c: UInt8) -> Bool { isDigit(c) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66) }
    @inline(__always) static func isWS(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }

    /// token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
    @inline(__always) static func isTokenChar(_ c: UInt8) -> Bool {
        if isAlphaNum(c) { return true }
        switch c {
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "!"), UInt8(ascii: "%"), UInt8(ascii: "*"),
             UInt8(ascii: "_"), UInt8(ascii: "+"), UInt8(ascii: "`"), UInt8(ascii: "'"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// unreserved = alphanum / mark
    @inline(__always) static func isUnreserved(_ c: UInt8) -> Bool {
        if isAlphaNum(c) { return true }
        switch c {
        case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "!"), UInt8(ascii: "~"),
             UInt8(ascii: "*"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"):
            return true
        default:
            return false
        }
    }

    static func isToken(_ s: some StringProtocol) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy(isTokenChar)
    }

    @inline(__always) static func lower(_ c: UInt8) -> UInt8 {
        (c >= 0x41 && c <= 0x5A) ? c | 0x20 : c
    }

    /// ASCII case-insensitive comparison.
    static func equalsIgnoringCase(_ a: String, _ b: String) -> Bool {
        var ai = a.utf8.makeIterator()
        var bi = b.utf8.makeIterator()
        while true {
            switch (ai.next(), bi.next()) {
            case (nil, nil): return true
            case let (x?, y?): if lower(x) != lower(y) { return false }
            default: return false
            }
        }
    }

    static func hexValue(_ c: UInt8) -> UInt8 {
        if isDigit(c) { return c - 0x30 }
        return (c | 0x20) - 0x61 + 10
    }

    /// Decodes %HH escapes; a `%` not followed by two hex digits is kept literally.
    /// Returns nil when the decoded octets are not valid UTF-8.
    static func percentDecode(_ bytes: ArraySlice<UInt8>) -> String? {
        var ascii = true
        var escaped = false
        for c in bytes {
            if c >= 0x80 { ascii = false }
            if c == UInt8(ascii: "%") { escaped = true }
        }
        if !escaped {
            if ascii { return bytes.withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) } }
            return bytes.withUnsafeBufferPointer { String(validating: $0, as: UTF8.self) }
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let c = bytes[i]
            if c == UInt8(ascii: "%"), i + 2 < bytes.endIndex, isHexDigit(bytes[i + 1]), isHexDigit(bytes[i + 2]) {
                out.append(hexValue(bytes[i + 1]) << 4 | hexValue(bytes[i + 2]))
                i += 3
            } else {
                out.append(c)
                i += 1
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    private static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// Percent-encodes every octet of `s` for which `allowed` is false.
    static func percentEncode(_ s: String, allowed: (UInt8) -> Bool) -> String {
        if s.utf8.allSatisfy(allowed) { return s }
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 8)
        for c in s.utf8 {
            if allowed(c) {
                out.append(c)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hexDigits[Int(c >> 4)])
                out.append(hexDigits[Int(c & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Quotes `s` as an RFC 3261 quoted-string, escaping `"` and `\`; CR and LF become spaces.
    static func quote(_ s: String) -> String {
        var out = "\""
        for ch in s.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\r", "\n": out += " "
            default: out.unicodeScalars.append(ch)
            }
        }
        out += "\""
        return out
    }

    /// Removes surrounding quotes and quoted-pair escapes if `s` is a quoted-string; otherwise returns `s`.
    static func unquote(_ s: String) -> String {
        let u = Array(s.utf8)
        guard u.count >= 2, u.first == UInt8(ascii: "\""), u.last == UInt8(ascii: "\"") else { return s }
        var out: [UInt8] = []
        var i = 1
        while i < u.count - 1 {
            if u[i] == UInt8(ascii: "\\"), i + 1 < u.count - 1 {
                out.append(u[i + 1])
                i += 2
            } else {
                out.append(u[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses an unsigned decimal made only of digits (leading zeros allowed).
    /// Returns nil if empty, non-digit, or larger than `max`.
    static func parseDecimal(_ bytes: some Collection<UInt8>, max: UInt64) -> UInt64? {
        if bytes.isEmpty { return nil }
        var value: UInt64 = 0
        for c in bytes {
            guard isDigit(c) else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(c - 0x30))
            if o1 || o2 || a > max { return nil }
            value = a
        }
        return value
    }

    /// Trims SP/HT at both ends.
    static func trimWS(_ s: Substring) -> Substring {
        var s = s
        while let f = s.utf8.first, isWS(f) { s = s.dropFirst() }
        while let l = s.utf8.last, isWS(l) { s = s.dropLast() }
        return s
    }
}

/// A forward scanner over the UTF-8 bytes of a header value.
struct SIPScanner {
    let bytes: [UInt8]
    var index: Int
    /// Header or element name used in error contexts.
    let what: String

    init(_ string: String, what: String) {
        bytes = Array(string.utf8)
        index = 0
        self.what = what
    }

    var isAtEnd: Bool { index >= bytes.count }
    var peek: UInt8? { index < bytes.count ? bytes[index] : nil }
    var rest: String { String(decoding: bytes[min(index, bytes.count)...], as: UTF8.self) }

    func error(_ message: String) -> SIPParseError {
        SIPParseError(.invalidHeaderValue, "\(what): \(message)")
    }

    /// Skips SP, HT, CR and LF.
    mutating func skipLWS() {
        while index < bytes.count, SIPLexer.isWS(bytes[index]) || bytes[index] == 0x0D || bytes[index] == 0x0A { index += 1 }
    }

    mutating func consume(_ c: UInt8) -> Bool {
        if index < bytes.count, bytes[index] == c { index += 1; return true }
        return false
    }

    /// Scans a token; nil if none at the current position.
    mutating func scanToken() -> String? {
        let start = index
        while index < bytes.count, SIPLexer.isTokenChar(bytes[index]) { index += 1 }
        return index > start ? String(decoding: bytes[start..<index], as: UTF8.self) : nil
    }

    mutating func scan(while predicate: (UInt8) -> Bool) -> ArraySlice<UInt8> {
        let start = index
        while index < bytes.count, predicate(bytes[index]) { index += 1 }
        return bytes[start..<index]
    }

    /// Scans a quoted-string at the current `"`; returns the raw text (with quotes) and the unescaped content.
    mutating func scanQuotedString() throws(SIPParseError) -> (raw: String, content: String) {
        let start = index
        guard consume(UInt8(ascii: "\"")) else { throw error("expected quoted string") }
        var content: [UInt8] = []
        while index < bytes.count {
            let c = bytes[index]
            if c == UInt8(ascii: "\\") {
                guard index + 1 < bytes.count else { break }
                content.append(bytes[index + 1])
                index += 2
            } else if c == UInt8(ascii: "\"") {
                index += 1
                return (String(decoding: bytes[start..<index], as: UTF8.self), String(decoding: content, as: UTF8.self))
            } else {
                content.append(c)
                index += 1
            }
        }
        throw error("unterminated quoted string")
    }

    @inline(__always) static func isParamValueChar(_ c: UInt8) -> Bool {
        SIPLexer.isTokenChar(c) || c == UInt8(ascii: ":") || c == UInt8(ascii: "[") || c == UInt8(ascii: "]")
    }

    /// Parses `*( SEMI generic-param )` up to the end of input.
    /// Values keep their wire form (quoted strings keep their quotes).
    mutating func scanParameters() throws(SIPParseError) -> SIPParameters {
        var params = SIPParameters()
        while true {
            skipLWS()
            if isAtEnd { return params }
            guard consume(UInt8(ascii: ";")) else { throw error("unexpected '\(rest.prefix(20))'") }
            skipLWS()
            guard let name = scanToken() else { throw error("empty parameter") }
            skipLWS()
            if consume(UInt8(ascii: "=")) {
                skipLWS()
                if peek == UInt8(ascii: "\"") {
                    params.append(name, try scanQuotedString().raw)
                } else {
                    let v = scan(while: SIPScanner.isParamValueChar)
                    guard !v.isEmpty else { throw error("parameter \(name) has an empty value") }
                    params.append(name, String(decoding: v, as: UTF8.self))
                }
            } else {
                params.append(name, nil)
            }
        }
    }
}
