/// One `name=value` auth-param of a challenge or credentials (RFC 3261 §25.1, RFC 7616).
public struct SIPAuthParameter: Hashable, Sendable {
    /// Parameter name.
    public var name: String
    /// Value, unquoted and unescaped.
    public var value: String
    /// Whether the value is written as a quoted-string.
    public var isQuoted: Bool

    /// Creates a parameter.
    public init(_ name: String, _ value: String, quoted: Bool) {
        self.name = name
        self.value = value
        self.isQuoted = quoted
    }

    /// `name=value` or `name="value"`.
    var wireForm: String { name + "=" + (isQuoted ? SIPLexer.quote(value) : value) }

    /// Parses `scheme [token68 | auth-param *(, auth-param)]`, tolerating missing or
    /// extra commas, LWS around `=`, and quoted or unquoted values.
    static func parse(_ string: String, what: String) throws(SIPParseError) -> (scheme: String, token68: String?, params: [SIPAuthParameter]) {
        var s = SIPScanner(string, what: what)
        s.skipLWS()
        guard let scheme = s.scanToken() else { throw s.error("missing auth scheme") }
        var params: [SIPAuthParameter] = []
        var token68: String?
        while true {
            while let c = s.peek, SIPLexer.isWS(c) || c == UInt8(ascii: ",") || c == 0x0D || c == 0x0A { s.index += 1 }
            if s.isAtEnd { break }
            let nameStart = s.index
            guard let name = s.scanToken() else { throw s.error("unexpected '\(s.rest.prefix(20))'") }
            let afterName = s.index
            s.skipLWS()
            guard s.consume(UInt8(ascii: "=")) else {
                // token68 (e.g. Basic credentials) — only as the sole element.
                s.index = afterName
                let rest = s.scan { !SIPLexer.isWS($0) && $0 != UInt8(ascii: ",") }
                if params.isEmpty, token68 == nil {
                    token68 = String(decoding: s.bytes[nameStart..<afterName], as: UTF8.self) + String(decoding: rest, as: UTF8.self)
                    continue
                }
                throw s.error("auth-param \(name) has no value")
            }
            s.skipLWS()
            if s.peek == UInt8(ascii: "\"") {
                params.append(SIPAuthParameter(name, try s.scanQuotedString().content, quoted: true))
            } else {
                let v = s.scan { !SIPLexer.isWS($0) && $0 != UInt8(ascii: ",") && $0 != UInt8(ascii: "\"") }
                params.append(SIPAuthParameter(name, String(decoding: v, as: UTF8.self), quoted: false))
            }
        }
        return (scheme, token68, params)
    }
}

extension Array where Element == SIPAuthParameter {
    func value(_ name: String) -> String? {
        first { SIPLexer.equalsIgnoringCase($0.name, name) }?.value
    }

    mutating func set(_ name: String, _ value: String?, quoted: Bool) {
        if let value {
            if let i = firstIndex(where: { SIPLexer.equalsIgnoringCase($0.name, name) }) {
                self[i] = SIPAuthParameter(self[i].name, value, quoted: quoted)
            } else {
                append(SIPAuthParameter(name, value, quoted: quoted))
            }
        } else {
            removeAll { SIPLexer.equalsIgnoringCase($0.name, name) }
        }
    }
}
