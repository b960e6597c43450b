/// A single Via header value (RFC 3261 §20.42), e.g. `SIP/2.0/UDP host:5060;branch=z9hG4bK...;rport`.
public struct SIPVia: Hashable, Sendable, CustomStringConvertible {
    /// The `rport` parameter (RFC 3581): requested (no value) or filled in with a port.
    public enum RPort: Hashable, Sendable {
        case requested
        case value(Int)
    }

    /// Protocol name, normally `SIP`.
    public var protocolName: String
    /// Protocol version, normally `2.0`.
    public var protocolVersion: String
    /// Transport token as received (e.g. `UDP`, `TCP`, `TLS`, `WS`).
    public var transport: String
    /// Sent-by host (IPv6 without brackets).
    public var host: String
    /// Sent-by port.
    public var port: Int?
    /// All via-params in order, including branch, received and rport.
    public var parameters: SIPParameters

    /// Creates a Via value.
    public init(transport: String, host: String, port: Int? = nil, branch: String? = nil, parameters: SIPParameters = []) {
        self.protocolName = "SIP"
        self.protocolVersion = "2.0"
        self.transport = transport
        self.host = host
        self.port = port
        self.parameters = []
        if let branch { self.parameters.append("branch", branch) }
        self.parameters.items += parameters.items
    }

    /// The `branch` parameter.
    public var branch: String? {
        get { parameters["branch"] }
        set { parameters["branch"] = newValue }
    }

    /// The `received` parameter.
    public var received: String? {
        get { parameters["received"] }
        set { parameters["received"] = newValue }
    }

    /// The `maddr` parameter.
    public var maddr: String? {
        get { parameters["maddr"] }
        set { parameters["maddr"] = newValue }
    }

    /// The `rport` parameter: nil if absent, `.requested` without value, `.value(port)` with one.
    public var rport: RPort? {
        get {
            guard let p = parameters.first(where: { SIPLexer.equalsIgnoringCase($0.name, "rport") }) else { return nil }
            guard let v = p.value else { return .requested }
            guard let n = SIPLexer.parseDecimal(v.utf8, max: 65535) else { return .requested }
            return .value(Int(n))
        }
        set {
            switch newValue {
            case nil: parameters.remove("rport")
            case .requested: parameters.set("rport", nil)
            case .value(let p): parameters.set("rport", String(p))
            }
        }
    }

    /// Whether the branch starts with the RFC 3261 magic cookie `z9hG4bK`.
    public var hasRFC3261Branch: Bool { branch?.hasPrefix("z9hG4bK") ?? false }

    /// Parses a single (already comma-split) Via value. Throws `.invalidHeaderValue`.
    public init(parsing string: String) throws(SIPParseError) {
        var s = SIPScanner(string, what: "Via")
        s.skipLWS()
        guard let name = s.scanToken() else { throw s.error("missing protocol name") }
        s.skipLWS()
        guard s.consume(UInt8(ascii: "/")) else { throw s.error("expected '/' after protocol name") }
        s.skipLWS()
        guard let version = s.scanToken() else { throw s.error("missing protocol version") }
        s.skipLWS()
        guard s.consume(UInt8(ascii: "/")) else { throw s.error("expected '/' after protocol version") }
        s.skipLWS()
        guard let transport = s.scanToken() else { throw s.error("missing transport") }
        let beforeHost = s.index
        s.skipLWS()
        guard s.index > beforeHost else { throw s.error("expected whitespace before sent-by") }
        protocolName = name
        protocolVersion = version
        self.transport = transport
        if s.consume(UInt8(ascii: "[")) {
            let h = s.scan { SIPLexer.isHexDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }
            guard !h.isEmpty, s.consume(UInt8(ascii: "]")) else { throw s.error("invalid IPv6 sent-by") }
            host = String(decoding: h, as: UTF8.self)
        } else {
            let h = s.scan(while: SIPURI.isHostChar)
            guard !h.isEmpty else { throw s.error("missing sent-by host") }
            host = String(decoding: h, as: UTF8.self)
        }
        let afterHost = s.index
        s.skipLWS()
        if s.consume(UInt8(ascii: ":")) {
            s.skipLWS()
            let p = s.scan(while: SIPLexer.isDigit)
            guard p.count <= 5, let n = SIPLexer.parseDecimal(p, max: 65535) else { throw s.error("invalid port") }
            port = Int(n)
        } else {
            port = nil
            s.index = afterHost
        }
        parameters = try s.scanParameters()
    }

    /// `SIP/2.0/UDP host:port;params`.
    public var description: String {
        var s = protocolName + "/" + protocolVersion + "/" + transport + " "
        s += host.utf8.contains(UInt8(ascii: ":")) ? "[" + host + "]" : host
        if let port { s += ":" + String(port) }
        s += parameters.headerParameterString
        return s
    }
}
