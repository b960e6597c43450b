/// A SIP response.
public struct SIPResponse: Sendable, Equatable, Hashable {
    /// Status code, 100...699.
    public var statusCode: Int
    /// Reason phrase (may be empty).
    public var reason: String
    /// Header fields, in order. Content-Length is not kept: `body.count` is authoritative.
    public var headers: SIPHeaders
    /// Message body octets.
    public var body: [UInt8]

    /// Creates a response.
    public init(statusCode: Int, reason: String, headers: SIPHeaders = SIPHeaders(), body: [UInt8] = []) {
        self.statusCode = statusCode
        self.reason = reason
        self.headers = headers
        self.body = body
    }
}
