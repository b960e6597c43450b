extension SIPURI {
    /// Parses a URI (no surrounding `<>`, no whitespace).
    ///
    /// Throws `.malformedURI` naming the problem.
    public init(parsing string: String) throws(SIPParseError) {
        try self.init(bytes: Array(string.utf8)[...])
    }

    init(bytes b: ArraySlice<UInt8>) throws(SIPParseError) {
        func fail(_ why: String) -> SIPParseError {
            SIPParseError(.malformedURI, "\(why) in URI '\(String(decoding: b.prefix(200), as: UTF8.self))'")
        }
        guard !b.isEmpty else { throw fail("empty") }
        for c in b where c <= 0x20 || c >= 0x7F || c == UInt8(ascii: "<") || c == UInt8(ascii: ">") || c == UInt8(ascii: "\"") {
            throw fail(c == 0x20 || c == 0x09 ? "whitespace" : "invalid character 0x\(String(c, radix: 16))")
        }
        guard let colon = b.firstIndex(of: UInt8(ascii: ":")), colon > b.startIndex, SIPLexer.isAlpha(b[b.startIndex]) else {
            throw fail("missing scheme")
        }
        for c in b[..<colon] where !(SIPLexer.isAlphaNum(c) || c == UInt8(ascii: "+") || c == UInt8(ascii: "-") || c == UInt8(ascii: ".")) {
            throw fail("invalid scheme")
        }
        let scheme = Scheme.from(b[..<colon])
        self.init(scheme: scheme, host: "")
        var i = colon + 1
        let end = b.endIndex

        switch scheme {
        case .other:
            guard i < end else { throw fail("empty body") }
            opaque = String(decoding: b[i...], as: UTF8.self)
            return
        case .tel:
            let numEnd = b[i...].firstIndex { $0 == UInt8(ascii: ";") || $0 == UInt8(ascii: "?") } ?? end
            let number = b[i..<numEnd]
            guard !number.isEmpty, number.allSatisfy(SIPURI.isTelChar), let n = SIPLexer.percentDecode(number) else {
                throw fail("invalid telephone number")
            }
            user = n
            i = numEnd
        case .sip, .sips:
            // userinfo: everything up to the first '@' (user part may contain ';', '?', ',').
            if let at = b[i...].firstIndex(of: UInt8(ascii: "@")) {
                let userinfo = b[i..<at]
                let pwColon = userinfo.firstIndex(of: UInt8(ascii: ":"))
                let userBytes = userinfo[..<(pwColon ?? at)]
                guard !userBytes.isEmpty else { throw fail("empty user part") }
                guard userBytes.allSatisfy(SIPURI.isUserChar) else { throw fail("invalid character in user part") }
                guard let u = SIPLexer.percentDecode(userBytes) else { throw fail("user part is not UTF-8") }
                user = u
                if let pwColon {
                    let pw = userinfo[(pwColon + 1)...]
                    guard pw.allSatisfy(SIPURI.isPasswordChar), let p = SIPLexer.percentDecode(pw) else {
                        throw fail("invalid password")
                    }
                    password = p
                }
                i = at + 1
            }
            // host
            if i < end, b[i] == UInt8(ascii: "[") {
                guard let close = b[i...].firstIndex(of: UInt8(ascii: "]")) else { throw fail("unterminated IPv6 reference") }
                let h = b[(i + 1)..<close]
                guard h.contains(UInt8(ascii: ":")), h.allSatisfy({ SIPLexer.isHexDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }) else {
                    throw fail("invalid IPv6 reference")
                }
                host = String(decoding: h, as: UTF8.self)
                i = close + 1
            } else {
                let hEnd = b[i...].firstIndex { $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ";") || $0 == UInt8(ascii: "?") } ?? end
                let h = b[i..<hEnd]
                guard !h.isEmpty else { throw fail("empty host") }
                guard h.allSatisfy(SIPURI.isHostChar) else { throw fail("invalid host") }
                host = String(decoding: h, as: UTF8.self)
                i = hEnd
            }
            if i < end, b[i] == UInt8(ascii: ":") {
                let pStart = i + 1
                let pEnd = b[pStart...].firstIndex { $0 == UInt8(ascii: ";") || $0 == UInt8(ascii: "?") } ?? end
                guard pEnd - pStart <= 5, let p = SIPLexer.parseDecimal(b[pStart..<pEnd], max: 65535) else {
                    throw fail("invalid port")
                }
                port = Int(p)
                i = pEnd
            }
            if i < end, b[i] != UInt8(ascii: ";"), b[i] != UInt8(ascii: "?") { throw fail("unexpected character after host") }
        }

        // parameters
        while i < end, b[i] == UInt8(ascii: ";") {
            let pStart = i + 1
            let pEnd = b[pStart...].firstIndex { $0 == UInt8(ascii: ";") || $0 == UInt8(ascii: "?") } ?? end
            let p = b[pStart..<pEnd]
            guard p.allSatisfy(SIPURI.isParamChar) else { throw fail("invalid character in parameter") }
            if let eq = p.firstIndex(of: UInt8(ascii: "=")) {
                guard eq > pStart, let n = SIPLexer.percentDecode(p[..<eq]), let v = SIPLexer.percentDecode(p[(eq + 1)...]) else {
                    throw fail("invalid parameter")
                }
                parameters.append(n, v)
            } else {
                guard !p.isEmpty, let n = SIPLexer.percentDecode(p) else { throw fail("empty parameter") }
                parameters.append(n, nil)
            }
            i = pEnd
        }
        // headers
        if i < end, b[i] == UInt8(ascii: "?") {
            i += 1
            while true {
                let hEnd = b[i...].firstIndex(of: UInt8(ascii: "&")) ?? end
                let h = b[i..<hEnd]
                guard h.allSatisfy(SIPURI.isHeaderChar) else { throw fail("invalid character in header") }
                if let eq = h.firstIndex(of: UInt8(ascii: "=")) {
                    guard eq > i, let n = SIPLexer.percentDecode(h[..<eq]), let v = SIPLexer.percentDecode(h[(eq + 1)...]) else {
                        throw fail("invalid header")
                    }
                    headers.append(n, v)
                } else {
                    guard !h.isEmpty, let n = SIPLexer.percentDecode(h) else { throw fail("empty header") }
                    headers.append(n, nil)
                }
                if hEnd == end { break }
                i = hEnd + 1
            }
        }
    }

    // MARK: character sets (RFC 3261 §25.1)

    static func isUserChar(_ c: UInt8) -> Bool {
        if SIPLexer.isUnreserved(c) { return true }
        switch c {
        case UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "$"),
             UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "?"), UInt8(ascii: "/"):
            return true
        default: return false
        }
    }

    static func isUserOutputChar(_ c: UInt8) -> Bool { c != UInt8(ascii: "%") && isUserChar(c) }

    static func isPasswordChar(_ c: UInt8) -> Bool {
        if SIPLexer.isUnreserved(c) { return true }
        switch c {
        case UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "$"), UInt8(ascii: ","):
            return true
        default: return false
        }
    }

    static func isPasswordOutputChar(_ c: UInt8) -> Bool { c != UInt8(ascii: "%") && isPasswordChar(c) }

    static func isHostChar(_ c: UInt8) -> Bool {
        SIPLexer.isAlphaNum(c) || c == UInt8(ascii: "-") || c == UInt8(ascii: ".") || c == UInt8(ascii: "_")
    }

    static func isParamChar(_ c: UInt8) -> Bool {
        if SIPLexer.isUnreserved(c) { return true }
        switch c {
        case UInt8(ascii: "%"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "/"), UInt8(ascii: ":"),
             UInt8(ascii: "&"), UInt8(ascii: "+"), UInt8(ascii: "$"), UInt8(ascii: "="):
            return true
        default: return false
        }
    }

    static func isParamOutputChar(_ c: UInt8) -> Bool {
        c != UInt8(ascii: "%") && c != UInt8(ascii: "=") && isParamChar(c)
    }

    static func isHeaderChar(_ c: UInt8) -> Bool {
        if SIPLexer.isUnreserved(c) { return true }
        switch c {
        case UInt8(ascii: "%"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "/"), UInt8(ascii: "?"),
             UInt8(ascii: ":"), UInt8(ascii: "+"), UInt8(ascii: "$"), UInt8(ascii: "="):
            return true
        default: return false
        }
    }

    static func isHeaderOutputChar(_ c: UInt8) -> Bool {
        c != UInt8(ascii: "%") && c != UInt8(ascii: "=") && isHeaderChar(c)
    }

    static func isTelChar(_ c: UInt8) -> Bool {
        if SIPLexer.isUnreserved(c) { return true }
        switch c {
        case UInt8(ascii: "%"), UInt8(ascii: "+"), UInt8(ascii: "&"), UInt8(ascii: "="), UInt8(ascii: "$"),
             UInt8(ascii: ","), UInt8(ascii: "/"), UInt8(ascii: ":"), UInt8(ascii: "@"):
            return true
        default: return false
        }
    }

    static func isTelOutputChar(_ c: UInt8) -> Bool { c != UInt8(ascii: "%") && isTelChar(c) }
}
