/// A transport that could not carry a message.
public struct SIPTransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Why.
    public enum Code: String, Sendable, Equatable {
        /// The connection could not be made (refused, unreachable, timed out).
        case connectFailed
        /// The TLS handshake failed (certificate not trusted, name mismatch, protocol).
        case tlsHandshakeFailed
        /// Writing failed or the connection broke.
        case writeFailed
        /// The message is too large for the transport.
        case messageTooLarge
        /// The transport is closed.
        case closed
        /// No transport of this kind is configured.
        case unsupportedTransport
    }

    /// Why.
    public var code: Code
    /// The destination and the underlying error.
    public var context: String

    public init(code: Code, context: String) {
        self.code = code
        self.context = context
    }

    public var description: String { "\(code.rawValue): \(context)" }
}
