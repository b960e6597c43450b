/// A client transaction that ended without a final response.
public struct SIPTransactionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Why.
    public enum Code: String, Sendable, Equatable {
        /// Timer F fired: no final response in 64·T1.
        case timeout
        /// The transport could not send.
        case transportError
        /// The destination could not be resolved.
        case unresolvable
        /// The stack is shutting down.
        case shutdown
        /// A 401/407 challenge could not be answered, or the credentials were rejected.
        case authenticationFailed
    }

    /// Why.
    public var code: Code
    /// The request (method and URI) and destination.
    public var context: String

    public init(code: Code, context: String) {
        self.code = code
        self.context = context
    }

    public var description: String { "\(code.rawValue): \(context)" }
}
