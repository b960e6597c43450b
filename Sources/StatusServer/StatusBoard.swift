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
