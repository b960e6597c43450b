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

    /// Whether the component is working.
    public var isReady: Bool { self == .ready }

    /// `connecting`, `ready` or `failed`.
    public var name: String {
        switch self {
        case .connecting: "connecting"
        case .ready: "ready"
        case .failed: "failed"
        }
    }

    /// The failure text, for `failed`.
    public var errorText: String? {
        if case .failed(let text) = self { return text }
        return nil
    }
}
