/// The state of one dependency of the daemon (Redis, PostgreSQL, the presence server, a listener).
public enum ComponentState: Sendable, Equatable, Codable {
    /// Not yet tried, or reconnecting.
    case connecting
    /// Working.
    case ready
    /// Failing; the text says why (never a secret).
    case failed(String)

    /// Whether the component is working.
    public var isReady: Bool { self == .ready }
}
