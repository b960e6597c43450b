/// A PostgreSQL operation that failed.
public struct PostgresError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure.
    public enum Code: String, Sendable, Equatable {
        /// The connection could not be made or authenticated.
        case connectFailed
        /// A statement failed; `sqlState` tells why.
        case queryFailed
        /// The connection broke.
        case connectionLost
        /// The database lacks the schema Lamplighter needs (migrations not applied).
        case schemaMissing
        /// The database has migrations newer than this build knows: refuse to touch it.
        case schemaTooNew
        /// A migration file could not be read or applied.
        case migrationFailed
        /// The connection was closed by this side.
        case closed
    }

    /// What kind of failure.
    public var code: Code
    /// The five-character SQLSTATE, when the server sent one.
    public var sqlState: String?
    /// libpq's or the server's words (libpq never includes the password).
    public var message: String

    public init(code: Code, sqlState: String? = nil, message: String) {
        self.code = code
        self.sqlState = sqlState
        self.message = message
    }

    public var description: String {
        var text = "postgresql: \(code.rawValue)"
        if let sqlState { text += " [\(sqlState)]" }
        return text + ": \(message)"
    }
}
