/// The Subscription-State header value (RFC 6665 §8.2.3).
public struct SIPSubscriptionState: Hashable, Sendable, CustomStringConvertible {
    /// Subscription state.
    public enum State: Hashable, Sendable, CustomStringConvertible {
        case active, pending, terminated
        /// An extension state token.
        case other(String)

        /// Creates a state from its token (case-insensitive).
        public init(_ token: String) {
            switch token.lowercased() {
            case "active": self = .active
            case "pending": self = .pending
            case "terminated": self = .terminated
            default: self = .other(token)
            }
        }

        /// The token.
        public var description: String {
            switch self {
            case .active: "active"
            case .pending: "pending"
            case .terminated: "terminated"
            case .other(let t): t
            }
        }
    }

    /// The state.
    public var state: State
    /// All parameters in wire form, including expires, reason and retry-after.
    public var parameters: SIPParameters

    /// Creates a value.
    public init(state: State, expires: Int? = nil, reason: String? = nil, retryAfter: Int? = nil) {
        self.state = state
        self.parameters = []
        if let reason { parameters.append("reason", reason) }
        if let expires { parameters.append("expires", String(expires)) }
        if let retryAfter { parameters.append("retry-after", String(retryAfter)) }
    }

    /// The `expires` parameter in seconds.
    public var expires: Int? {
        get { parameters["expires"].flatMap(SIPHeaders.leadingSeconds) }
        set { parameters["expires"] = newValue.map { String($0) } }
    }

    /// The `reason` parameter (e.g. `deactivated`, `timeout`, `rejected`, `noresource`).
    public var reason: String? {
        get { parameters["reason"] }
        set { parameters["reason"] = newValue }
    }

    /// The `retry-after` parameter in seconds.
    public var retryAfter: Int? {
        get { parameters["retry-after"].flatMap(SIPHeaders.leadingSeconds) }
        set { parameters["retry-after"] = newValue.map { String($0) } }
    }

    /// Parses a Subscription-State value. Throws `.invalidHeaderValue`.
    public init(parsing string: String) throws(SIPParseError) {
        var s = SIPScanner(string, what: "Subscription-State")
        s.skipLWS()
        guard let t = s.scanToken() else { throw s.error("missing state") }
        state = State(t)
        parameters = try s.scanParameters()
    }

    /// `state;params`.
    public var description: String { state.description + parameters.headerParameterString }
}
