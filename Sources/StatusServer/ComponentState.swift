/// The state of one dependency of the daemon (Redis, PostgreSQL, the presence server, a listener).
///
/// Encoded for /status as `"state": "ready"`, with the failure text in `"error"`.
public enum ComponentState: Sendable, Equatable {
    /// Not yet tried, or reconnecting.
    case connecting
    /// Working.
    case ready
    /// Failing; the text says why (never a secret).
    case failed(String)
    /// Working with a handicap (e.g. publishing from memory while the database is away); the text says which.
    case degraded(String)

    /// Whether the component is working.
    public var isReady: Bool { self == .ready }

    /// `connecting`, `ready`, `failed` or `degraded`.
    public var name: String {
        switch self {
        case .connecting: "connecting"
        case .ready: "ready"
        case .failed: "failed"
        case .degraded: "degraded"
        }
    }

    /// The failure or handicap text, for `failed` and `degraded`.
    public var errorText: String? {
        switch self {
        case .failed(let text), .degraded(let text): text
        case .connecting, .ready: nil
        }
    }
}
