/// A SIP request.
public struct SIPRequest: Sendable, Equatable, Hashable {
    /// Request method.
    public var method: SIPMethod
    /// Request-URI.
    public var uri: SIPURI
    /// Header fields, in order. Content-Length is not kept: `body.count` is authoritative.
    public var headers: SIPHeaders
    /// Message body octets.
    public var body: [UInt8]

    /// Creates a request.
    public init(method: SIPMethod, uri: SIPURI, headers: SIPHeaders = SIPHeaders(), body: [UInt8] = []) {
        self.method = method
        self.uri = uri
        self.headers = headers
        self.body = body
    }
}
