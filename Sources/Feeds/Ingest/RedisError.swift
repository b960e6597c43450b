/// A Redis operation that failed, with what and where.
public struct RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure.
    public enum Code: String, Sendable, Equatable {
        /// The TCP connection could not be made.
        case connectFailed
        /// AUTH or SELECT was refused.
        case authenticationFailed
        /// The connection broke or timed out during a command.
        case ioError
        /// Redis answered a command with an error reply.
        case commandFailed
        /// The connection was closed by this side.
        case closed
    }

    /// What kind of failure.
    public var code: Code
    /// The endpoint, `host:port`.
    public var endpoint: String
    /// hiredis's or Redis's words.
    public var message: String

    public var description: String {
        "redis \(endpoint): \(code.rawValue): \(message)"
    }
}
