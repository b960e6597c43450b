extension SIPURI {
    /// The URI in wire form, percent-encoding characters that may not appear literally.
    public var description: String {
        var s = scheme.description
        s += ":"
        switch scheme {
        case .other:
            s += opaque ?? ""
            return s
        case .tel:
            s += SIPLexer.percentEncode(user ?? "", allowed: SIPURI.isTelOutputChar)
        case .sip, .sips:
            if let user {
                s += SIPLexer.percentEncode(user, allowed: SIPURI.isUserOutputChar)
                if let password {
                    s += ":"
                    s += SIPLexer.percentEncode(password, allowed: SIPURI.isPasswordOutputChar)
                }
                s += "@"
            }
            if host.utf8.contains(UInt8(ascii: ":")), host.utf8.first != UInt8(ascii: "[") {
                s += "[" + host + "]"
            } else {
                s += host
            }
            if let port {
                s += ":"
                s += String(port)
            }
        }
        for p in parameters {
            s += ";"
            s += SIPLexer.percentEncode(p.name, allowed: SIPURI.isParamOutputChar)
            if let v = p.value {
                s += "="
                s += SIPLexer.percentEncode(v, allowed: SIPURI.isParamOutputChar)
            }
        }
        var first = true
        for h in headers {
            s += first ? "?" : "&"
            first = false
            s += SIPLexer.percentEncode(h.name, allowed: SIPURI.isHeaderOutputChar)
            if let v = h.value {
                s += "="
                s += SIPLexer.percentEncode(v, allowed: SIPURI.isHeaderOutputChar)
            }
        }
        return s
    }
}
