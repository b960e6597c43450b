/// A name-addr or addr-spec header value with header parameters
/// (From, To, Contact, Route, Record-Route, Refer-To, ...; RFC 3261 §20.10).
///
/// In the addr-spec form (no `<>`), everything after the first `;` is a
/// header parameter, never a URI parameter. `description` always writes the
/// name-addr form `"Display" <uri>;params`.
public struct SIPNameAddress: Hashable, Sendable, CustomStringConvertible {
    /// Display name (unquoted, unescaped); nil if absent.
    public var displayName: String?
    /// The address.
    public var uri: SIPURI
    /// Header parameters (e.g. `tag`, `expires`, `q`) in wire form.
    public var parameters: SIPParameters

    /// Creates a value.
    public init(displayName: String? = nil, uri: SIPURI, parameters: SIPParameters = []) {
        self.displayName = displayName
        self.uri = uri
        self.parameters = parameters
    }

    /// The `tag` parameter.
    public var tag: String? {
        get { parameters["tag"] }
        set { parameters["tag"] = newValue }
    }

    /// Parses a single (already comma-split) value. Throws `.invalidHeaderValue` or `.malformedURI`.
    public init(parsing string: String) throws(SIPParseError) {
        try self.init(parsing: string, header: "name-addr")
    }

    init(parsing string: String, header: String) throws(SIPParseError) {
        var s = SIPScanner(string, what: header)
        s.skipLWS()
        guard !s.isAtEnd else { throw s.error("empty value") }
        let b = s.bytes
        // Find the first '<' outside a quoted string.
        var lt: Int?
        var i = s.index
        var inQuote = false
        while i < b.count {
            let c = b[i]
            if inQuote {
                if c == UInt8(ascii: "\\") { i += 1 } else if c == UInt8(ascii: "\"") { inQuote = false }
            } else if c == UInt8(ascii: "\"") {
                inQuote = true
            } else if c == UInt8(ascii: "<") {
                lt = i
                break
            }
            i += 1
        }
        if inQuote { throw s.error("unterminated quoted string") }

        if let lt {
            // name-addr: [display-name] LAQUOT addr-spec RAQUOT
            if s.peek == UInt8(ascii: "\"") {
                displayName = try s.scanQuotedString().content
                s.skipLWS()
                guard s.index == lt else { throw s.error("unexpected text between display name and '<'") }
            } else if s.index < lt {
                var words: [String] = []
                while s.index < lt {
                    guard let w = s.scanToken() else {
                        throw s.error("display name '\(String(decoding: b[s.index..<lt], as: UTF8.self))' is not a token list or quoted string")
                    }
                    words.append(w)
                    s.skipLWS()
                }
                displayName = words.joined(separator: " ")
            } else {
                displayName = nil
            }
            s.index = lt + 1
            guard let gt = b[s.index...].firstIndex(of: UInt8(ascii: ">")) else { throw s.error("missing '>'") }
            uri = try SIPURI(bytes: b[s.index..<gt])
            s.index = gt + 1
        } else {
            // addr-spec: the URI ends at ';', whitespace or end; header params follow.
            displayName = nil
            let start = s.index
            while s.index < b.count, b[s.index] != UInt8(ascii: ";"), !SIPLexer.isWS(b[s.index]) { s.index += 1 }
            let uriBytes = b[start..<s.index]
            if uriBytes.contains(UInt8(ascii: "?")) || uriBytes.contains(UInt8(ascii: ",")) {
                throw s.error("URI with '?' or ',' must be enclosed in <>")
            }
            uri = try SIPURI(bytes: uriBytes)
        }
        parameters = try s.scanParameters()
    }

    /// `"Display Name" <uri>;param=value`.
    public var description: String {
        var s = ""
        if let displayName {
            s += SIPLexer.quote(displayName)
            s += " "
        }
        s += "<"
        s += uri.description
        s += ">"
        s += parameters.headerParameterString
        return s
    }
}
