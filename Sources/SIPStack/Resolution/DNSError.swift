/// A DNS query that produced no usable message.
///
/// Responses with an error RCODE (NXDOMAIN, SERVFAIL, ...) are not errors at this level: the query
/// returns the ``DNSMessage`` and the caller reads ``DNSMessage/responseCode``.
public struct DNSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Why.
    public enum Code: String, Sendable, Equatable {
        /// The name cannot be put in a query (empty label, label over 63 or name over 255 octets, bad characters).
        case invalidName
        /// The bytes are not a well-formed DNS message (truncated, bad pointer, bad record length, ...).
        case malformed
        /// The response has the TC bit set: it did not fit in a datagram (TCP fallback is not implemented).
        case truncated
        /// No matching response after every attempt.
        case timeout
        /// The socket could not be opened or used, or the server's port is closed (ICMP port unreachable).
        case transportFailed
        /// No name server is configured (nothing usable in resolv.conf).
        case noNameserver
        /// The waiting task was cancelled.
        case cancelled
    }

    /// Why.
    public var code: Code
    /// The name, type and server, and what went wrong.
    public var context: String

    public init(code: Code, context: String) {
        self.code = code
        self.context = context
    }

    public var description: String { "\(code.rawValue): \(context)" }
}
