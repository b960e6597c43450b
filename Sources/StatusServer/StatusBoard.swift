import Foundation

/// What the daemon reports about itself on /status: each component's state and since when.
public actor StatusBoard {
    /// One component's line on the board.
    public struct Component: Sendable, Equatable, Codable {
        /// Name, e.g. `redis`.
        public var name: String
        /// Current state.
        public var state: ComponentState
        /// Human detail: endpoint, last round-trip time (never a secret).
        public var detail: String
        /// When the state last changed (seconds since 1970).
        public var since: Double

        public init(name: String, state: ComponentState, detail: String, since: Double) {
            self.name = name
            self.state = state
            self.detail = detail
            self.since = since
        }

        private enum CodingKeys: String, CodingKey {
            case name, state, error, detail, since
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(state.name, forKey: .state)
            try container.encodeIfPresent(state.errorText, forKey: .error)
            try container.encode(detail, forKey: .detail)
            try container.encode(since, forKey: .since)
        }

        public init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            let stateName = try container.decode(String.self, forKey: .state)
            switch stateName {
            case "ready": state = .ready
            case "connecting": state = .connecting
            case "failed": state = .failed(try container.decodeIfPresent(String.self, forKey: .error) ?? "")
            case "degraded": state = .degraded(try container.decodeIfPresent(String.self, forKey: .error) ?? "")
            default:
                throw DecodingError.dataCorruptedError(forKey: .state, in: container, debugDescription: "unknown state \(stateName)")
            }
            detail = try container.decode(String.self, forKey: .detail)
            since = try container.decode(Double.self, forKey: .since)
        }
    }

    /// The /status document.
    public struct Report: Sendable, Equatable, Codable {
        /// `lamplighter`.
        public var service: String
        /// Build version.
        public var version: String
        /// True when every component is ready.
        public var ready: Bool
        /// Seconds since the daemon started.
        public var uptimeSeconds: Double
        /// Components in registration order.
        public var components: [Component]
    }

    private let version: String
    private let started: Date
    private let now: @Sendable () -> Date
    private var order: [String] = []
    private var components: [String: Component] = [:]

    /// `now` is injected so tests control time.
    public init(version: String, now: @escaping @Sendable () -> Date = { Date() }) {
        self.version = version
        self.now = now
        self.started = now()
    }

    /// Records a component's state; `since` moves only when the state changes.
    public func update(_ name: String, _ state: ComponentState, detail: String = "") {
        let time = now().timeIntervalSince1970
        if var existing = components[name] {
            if existing.state != state { existing.since = time }
            existing.state = state
            existing.detail = detail
            components[name] = existing
        } else {
            order.append(name)
            components[name] = Component(name: name, state: state, detail: detail, since: time)
        }
    }

    /// The current report.
    public func report() -> Report {
        let list = order.compactMap { components[$0] }
        return Report(
            service: "lamplighter", version: version,
            ready: !list.isEmpty && list.allSatisfy { $0.state.isReady },
            uptimeSeconds: now().timeIntervalSince(started), components: list)
    }
}
