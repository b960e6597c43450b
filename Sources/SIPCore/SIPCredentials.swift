/// Authorization / Proxy-Authorization credentials (RFC 3261 §22.4, RFC 7616 §3.4).
public struct SIPCredentials: Hashable, Sendable, CustomStringConvertible {
    /// Auth scheme, e.g. `Digest`.
    public var scheme: String
    /// All auth-params in order (unquoted values).
    public var parameters: [SIPAuthParameter]
    /// A token68 value for non-parameter schemes, if any.
    public var token68: String?

    /// Creates Digest credentials; quoting follows RFC 7616 (algorithm, qop and nc unquoted).
    public init(username: String, realm: String, nonce: String, uri: String, response: String,
                algorithm: SIPDigest.Algorithm? = nil, cnonce: String? = nil, opaque: String? = nil,
                qop: String? = nil, nc: String? = nil) {
        scheme = "Digest"
        token68 = nil
        parameters = [
            SIPAuthParameter("username", username, quoted: true),
            SIPAuthParameter("realm", realm, quoted: true),
            SIPAuthParameter("nonce", nonce, quoted: true),
            SIPAuthParameter("uri", uri, quoted: true),
            SIPAuthParameter("response", response, quoted: true),
        ]
        if let algorithm { parameters.append(SIPAuthParameter("algorithm", algorithm.name, quoted: false)) }
        if let cnonce { parameters.append(SIPAuthParameter("cnonce", cnonce, quoted: true)) }
        if let opaque { parameters.append(SIPAuthParameter("opaque", opaque, quoted: true)) }
        if let qop { parameters.append(SIPAuthParameter("qop", qop, quoted: false)) }
        if let nc { parameters.append(SIPAuthParameter("nc", nc, quoted: false)) }
    }

    /// Parses credentials. Throws `.invalidHeaderValue`.
    public init(parsing string: String) throws(SIPParseError) {
        let p = try SIPAuthParameter.parse(string, what: "Authorization")
        scheme = p.scheme
        parameters = p.params
        token68 = p.token68
    }

    /// Answers a Digest `challenge` for a request (RFC 7616 §3.4). Uses qop `auth`
    /// when offered (or `auth-int` if only that is offered), and RFC 2069 style when no qop is offered.
    /// Returns nil for a non-Digest challenge, missing realm/nonce or an unsupported algorithm.
    public static func digest(answering challenge: SIPChallenge, method: SIPMethod, uri: String,
                              username: String, password: String, cnonce: String, nc: UInt32 = 1,
                              body: [UInt8] = []) -> SIPCredentials? {
        guard challenge.isDigest, let realm = challenge.realm, let nonce = challenge.nonce,
              let algorithm = challenge.digestAlgorithm else { return nil }
        let offered = challenge.qopOptions.map { $0.lowercased() }
        let qop: String? = offered.isEmpty ? nil : (offered.contains("auth") ? "auth" : (offered.contains("auth-int") ? "auth-int" : nil))
        if !offered.isEmpty, qop == nil { return nil }
        let ncString = SIPDigest.formatNC(nc)
        let response = SIPDigest.response(algorithm: algorithm, username: username, realm: realm, password: password,
                                          method: method.name, uri: uri, nonce: nonce,
                                          cnonce: qop == nil ? nil : cnonce, nc: qop == nil ? nil : ncString,
                                          qop: qop, body: body)
        return SIPCredentials(username: username, realm: realm, nonce: nonce, uri: uri, response: response,
                              algorithm: challenge.algorithm == nil ? nil : algorithm,
                              cnonce: qop == nil ? nil : cnonce, opaque: challenge.opaque,
                              qop: qop, nc: qop == nil ? nil : ncString)
    }

    /// The value of any parameter.
    public func parameter(_ name: String) -> String? { parameters.value(name) }

    /// `username`.
    public var username: String? { parameters.value("username") }
    /// `realm`.
    public var realm: String? { parameters.value("realm") }
    /// `nonce`.
    public var nonce: String? { parameters.value("nonce") }
    /// `uri` (digest-uri).
    public var uri: String? { parameters.value("uri") }
    /// `response`.
    public var response: String? { parameters.value("response") }
    /// `algorithm`.
    public var algorithm: String? { parameters.value("algorithm") }
    /// `cnonce`.
    public var cnonce: String? { parameters.value("cnonce") }
    /// `opaque`.
    public var opaque: String? { parameters.value("opaque") }
    /// `qop`.
    public var qop: String? { parameters.value("qop") }
    /// `nc`.
    public var nc: String? { parameters.value("nc") }

    /// `Digest username="...", realm="...", ...`.
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
