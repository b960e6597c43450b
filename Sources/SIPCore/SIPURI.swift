/// A SIP, SIPS or tel URI (RFC 3261 §19.1, RFC 3966); other schemes are kept opaque.
///
/// `user`, `password`, parameter and header names/values are stored
/// percent-decoded; `description` re-encodes them, so
/// `SIPURI(parsing: uri.description) == uri`. Equality is structural
/// (case-sensitive host, parameter order significant), not the RFC 3261
/// §19.1.4 comparison. An IPv6 `host` is stored without brackets.
public struct SIPURI: Hashable, Sendable, CustomStringConvertible {
    /// The URI scheme. Schemes are case-insensitive; `.other` holds the lowercased name.
    public enum Scheme: Hashable, Sendable, CustomStringConvertible {
        case sip, sips, tel
        /// Any other absolute-URI scheme (e.g. `http`, `isbn`, `soap.beep`); the URI body is in `SIPURI.opaque`.
        case other(String)

        /// Creates a scheme from its name (case-insensitive).
        public init(_ name: String) {
            switch name.lowercased() {
            case "sip": self = .sip
            case "sips": self = .sips
            case "tel": self = .tel
            case let n: self = .other(n)
            }
        }

        /// Fast path for the common schemes.
        static func from(_ b: ArraySlice<UInt8>) -> Scheme {
            var i = b.startIndex
            if b.count == 3 || b.count == 4 {
                let c0 = SIPLexer.lower(b[i]); i += 1
                let c1 = SIPLexer.lower(b[i]); i += 1
                let c2 = SIPLexer.lower(b[i]); i += 1
                if c0 == UInt8(ascii: "s"), c1 == UInt8(ascii: "i"), c2 == UInt8(ascii: "p") {
                    if b.count == 3 { return .sip }
                    if SIPLexer.lower(b[i]) == UInt8(ascii: "s") { return .sips }
                } else if b.count == 3, c0 == UInt8(ascii: "t"), c1 == UInt8(ascii: "e"), c2 == UInt8(ascii: "l") {
                    return .tel
                }
            }
            return Scheme(String(decoding: b, as: UTF8.self))
        }

        /// Lowercase scheme name.
        public var description: String {
            switch self {
            case .sip: "sip"
            case .sips: "sips"
            case .tel: "tel"
            case .other(let n): n
            }
        }
    }

    /// The scheme.
    public var scheme: Scheme
    /// The user part (decoded); for `tel` the telephone number.
    public var user: String?
    /// The password part (decoded), discouraged by RFC 3261.
    public var password: String?
    /// Host name or IP address (IPv6 without brackets); empty for `tel` and other schemes.
    public var host: String
    /// Port, if given.
    public var port: Int?
    /// URI parameters (`;name=value`), decoded, in order.
    public var parameters: SIPParameters
    /// URI headers (`?name=value&...`), decoded, in order.
    public var headers: SIPParameters
    /// For `.other` schemes: everything after the colon, verbatim.
    public var opaque: String?

    /// Creates a URI from components.
    public init(scheme: Scheme = .sip, user: String? = nil, password: String? = nil, host: String, port: Int? = nil,
                parameters: SIPParameters = [], headers: SIPParameters = []) {
        self.scheme = scheme
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.parameters = parameters
        self.headers = headers
        self.opaque = nil
    }

    /// Creates a URI of another scheme with an opaque body, e.g. `SIPURI(scheme: "http", opaque: "//example.com")`.
    public init(scheme: String, opaque: String) {
        self.scheme = Scheme(scheme)
        self.user = nil
        self.password = nil
        self.host = ""
        self.port = nil
        self.parameters = []
        self.headers = []
        self.opaque = opaque
    }

    /// The `transport` URI parameter, if any.
    public var transportParameter: String? {
        get { parameters["transport"] }
        set { parameters["transport"] = newValue }
    }

    /// Whether the `lr` (loose routing) parameter is present.
    public var isLooseRouting: Bool { parameters.contains("lr") }

    /// Whether the scheme is `sip` or `sips`.
    public var isSIP: Bool { scheme == .sip || scheme == .sips }

    /// `scheme:user@host` (no port, parameters or headers), the address-of-record form for SIP URIs.
    public var addressOfRecord: String {
        var u = self
        u.password = nil
        u.port = nil
        u.parameters = []
        u.headers = []
        return u.description
    }
}
