/// A WWW-Authenticate or Proxy-Authenticate challenge (RFC 3261 §22, RFC 7616, RFC 8760).
public struct SIPChallenge: Hashable, Sendable, CustomStringConvertible {
    /// Auth scheme, e.g. `Digest`.
    public var scheme: String
    /// All auth-params in order (unquoted values).
    public var parameters: [SIPAuthParameter]
    /// A token68 value for non-parameter schemes, if any.
    public var token68: String?

    /// Creates a Digest challenge.
    public init(realm: String, nonce: String, opaque: String? = nil, algorithm: SIPDigest.Algorithm? = nil,
                qopOptions: [String] = ["auth"], stale: Bool = false) {
        scheme = "Digest"
        parameters = []
        token68 = nil
        self.realm = realm
        self.nonce = nonce
        self.opaque = opaque
        if let algorithm { self.algorithm = algorithm.name }
        if !qopOptions.isEmpty { self.qopOptions = qopOptions }
        if stale { self.stale = true }
    }

    /// Parses a challenge. Throws `.invalidHeaderValue`.
    public init(parsing string: String) throws(SIPParseError) {
        let p = try SIPAuthParameter.parse(string, what: "WWW-Authenticate")
        scheme = p.scheme
        parameters = p.params
        token68 = p.token68
    }

    /// Whether the scheme is Digest.
    public var isDigest: Bool { SIPLexer.equalsIgnoringCase(scheme, "Digest") }

    /// The value of any parameter.
    public func parameter(_ name: String) -> String? { parameters.value(name) }

    /// `realm`.
    public var realm: String? {
        get { parameters.value("realm") }
        set { parameters.set("realm", newValue, quoted: true) }
    }

    /// `nonce`.
    public var nonce: String? {
        get { parameters.value("nonce") }
        set { parameters.set("nonce", newValue, quoted: true) }
    }

    /// `opaque`.
    public var opaque: String? {
        get { parameters.value("opaque") }
        set { parameters.set("opaque", newValue, quoted: true) }
    }

    /// `domain`.
    public var domain: String? {
        get { parameters.value("domain") }
        set { parameters.set("domain", newValue, quoted: true) }
    }

    /// `algorithm` token as received (e.g. `MD5`, `SHA-256-sess`); absent means MD5.
    public var algorithm: String? {
        get { parameters.value("algorithm") }
        set { parameters.set("algorithm", newValue, quoted: false) }
    }

    /// The algorithm as a known `SIPDigest.Algorithm` (MD5 when absent); nil if unsupported.
    public var digestAlgorithm: SIPDigest.Algorithm? {
        guard let a = algorithm else { return .md5 }
        return SIPDigest.Algorithm(a)
    }

    /// `qop` options, e.g. `["auth", "auth-int"]`.
    public var qopOptions: [String] {
        get {
            guard let q = parameters.value("qop") else { return [] }
            return q.split(separator: ",").map { String(SIPLexer.trimWS($0)) }.filter { !$0.isEmpty }
        }
        set { parameters.set("qop", newValue.isEmpty ? nil : newValue.joined(separator: ","), quoted: true) }
    }

    /// `stale=true`.
    public var stale: Bool {
        get { parameters.value("stale").map { SIPLexer.equalsIgnoringCase($0, "true") } ?? false }
        set { parameters.set("stale", newValue ? "true" : nil, quoted: false) }
    }

    /// `Scheme name="value", ...`.
    public var description: String {
        var s = scheme
        if let token68 { s += " " + token68 }
        if !parameters.isEmpty {
            s += token68 == nil ? " " : ", "
            s += parameters.map(\.wireForm).joined(separator: ", ")
        }
        return s
    }
}
