/// The bookkeeping of a stream transport's connections as a pure state machine: which connection a send
/// reuses, when one is opened, when a connection that stayed idle (or never finished connecting) is closed,
/// and how many may be open at once.
///
/// Time is injected (`now`); timers are actions carrying a generation, and a firing whose generation is
/// not the connection's current one is stale and ignored. Activity does not re-arm the idle timer: when it
/// fires early it is re-armed for `lastActivity + idleTimeout`, so one timer per connection suffices.
/// The runner (``SIPStreamTransport``) owns the sockets and carries out the actions.
struct SIPStreamConnectionPool: Sendable {
    /// Identifies one connection for its whole life; never reused.
    typealias ConnectionID = UInt64

    /// Limits and timeouts.
    struct Configuration: Sendable, Equatable {
        /// A connection with no traffic in either direction for this long is closed.
        var idleTimeout: Duration
        /// Deadline for a connection to become usable: TCP connect plus, on TLS, the handshake.
        var connectTimeout: Duration
        /// Most connections (connecting or established, inbound and outbound) open at once.
        var maxConnections: Int
    }

    /// A timer of one connection.
    enum Timer: Sendable, Equatable, Hashable {
        /// The connect (and TLS handshake) deadline.
        case connect
        /// The idle check.
        case idle
    }

    /// Why the pool closes a connection.
    enum CloseReason: Sendable, Equatable {
        /// No traffic for the idle timeout.
        case idle
        /// Not usable within the connect timeout.
        case connectTimeout
    }

    /// What the runner must do.
    enum Action: Sendable, Equatable {
        /// Arm `timer` of `connection` to fire at `at`, passing `generation` back to ``timerFired(_:_:generation:now:)``.
        case scheduleTimer(ConnectionID, Timer, at: ContinuousClock.Instant, generation: UInt64)
        /// Close the connection; the pool has already forgotten it.
        case close(ConnectionID, CloseReason)
    }

    /// The answer to ``acquire(_:newID:now:)``.
    enum Acquisition: Sendable, Equatable {
        /// Write on this established connection.
        case reuse(ConnectionID)
        /// This connection to the destination is being set up: wait for it, then write.
        case wait(ConnectionID)
        /// No connection: open one under the given id (now registered as connecting) and run the actions.
        case open(ConnectionID, [Action])
        /// The connection limit is reached.
        case refuse(limit: Int)
    }

    /// Who opened a connection.
    enum Direction: Sendable, Equatable {
        /// The peer connected to us.
        case inbound
        /// We connected to the peer.
        case outbound
    }

    /// Phase of a connection.
    enum State: Sendable, Equatable {
        /// TCP connect or TLS handshake under way.
        case connecting
        /// Usable.
        case established
    }

    /// What the pool knows about one connection.
    struct Entry: Sendable, Equatable {
        /// The destination key it serves.
        var key: SIPStreamConnectionKey
        /// Who opened it.
        var direction: Direction
        /// Phase.
        var state: State
        /// Last traffic (or the moment it was opened or established).
        var lastActivity: ContinuousClock.Instant
        /// Generation of its one armed timer.
        var generation: UInt64
    }

    /// Limits and timeouts.
    let configuration: Configuration
    /// Every open connection.
    private(set) var entries: [ConnectionID: Entry] = [:]
    /// The connection each key's sends use.
    private var byKey: [SIPStreamConnectionKey: ConnectionID] = [:]
    private var lastGeneration: UInt64 = 0

    init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Connections open (connecting or established).
    var count: Int { entries.count }

    /// The connection sends to `key` use, if any.
    func connection(for key: SIPStreamConnectionKey) -> ConnectionID? { byKey[key] }

    /// A send to `key` wants a connection; `newID` is used if one must be opened.
    mutating func acquire(_ key: SIPStreamConnectionKey, newID: ConnectionID, now: ContinuousClock.Instant) -> Acquisition {
        if let id = byKey[key], var entry = entries[id] {
            switch entry.state {
            case .established:
                entry.lastActivity = now
                entries[id] = entry
                return .reuse(id)
            case .connecting:
                return .wait(id)
            }
        }
        guard entries.count < configuration.maxConnections else { return .refuse(limit: configuration.maxConnections) }
        precondition(entries[newID] == nil, "connection id \(newID) reused")
        let generation = nextGeneration()
        entries[newID] = Entry(key: key, direction: .outbound, state: .connecting, lastActivity: now, generation: generation)
        byKey[key] = newID
        return .open(newID, [.scheduleTimer(newID, .connect, at: now + configuration.connectTimeout, generation: generation)])
    }

    /// A peer connected to us from `key`; nil means refuse it (connection limit reached).
    ///
    /// The newest connection from a key serves sends to it; an older one stays open until it closes.
    mutating func inboundOpened(_ id: ConnectionID, key: SIPStreamConnectionKey, now: ContinuousClock.Instant) -> [Action]? {
        guard entries.count < configuration.maxConnections else { return nil }
        precondition(entries[id] == nil, "connection id \(id) reused")
        let generation = nextGeneration()
        entries[id] = Entry(key: key, direction: .inbound, state: .connecting, lastActivity: now, generation: generation)
        byKey[key] = id
        return [.scheduleTimer(id, .connect, at: now + configuration.connectTimeout, generation: generation)]
    }

    /// The connection is usable (TCP connected, TLS handshake and verification done): the connect deadline
    /// becomes stale and the idle timer starts.
    mutating func established(_ id: ConnectionID, now: ContinuousClock.Instant) -> [Action] {
        guard var entry = entries[id], entry.state == .connecting else { return [] }
        entry.state = .established
        entry.lastActivity = now
        entry.generation = nextGeneration()
        entries[id] = entry
        return [.scheduleTimer(id, .idle, at: now + configuration.idleTimeout, generation: entry.generation)]
    }

    /// Bytes went in or out on the connection.
    mutating func activity(_ id: ConnectionID, now: ContinuousClock.Instant) {
        guard var entry = entries[id] else { return }
        entry.lastActivity = max(entry.lastActivity, now)
        entries[id] = entry
    }

    /// The connection closed or failed; forgets it (unknown ids are ignored).
    mutating func removed(_ id: ConnectionID) {
        guard let entry = entries.removeValue(forKey: id) else { return }
        if byKey[entry.key] == id {
            byKey[entry.key] = nil
            // An older connection from the same key (inbound) takes over, if there is one.
            if let (olderID, _) = entries.first(where: { $0.value.key == entry.key && $0.value.state == .established }) {
                byKey[entry.key] = olderID
            }
        }
    }

    /// Forgets every connection (the transport is closing) and returns their ids.
    mutating func removeAll() -> [ConnectionID] {
        let ids = Array(entries.keys)
        entries = [:]
        byKey = [:]
        return ids
    }

    /// A timer armed by a ``Action/scheduleTimer(_:_:at:generation:)`` fired.
    mutating func timerFired(
        _ id: ConnectionID, _ timer: Timer, generation: UInt64, now: ContinuousClock.Instant
    ) -> [Action] {
        guard var entry = entries[id], entry.generation == generation else { return [] }
        switch (timer, entry.state) {
        case (.connect, .connecting):
            removed(id)
            return [.close(id, .connectTimeout)]
        case (.idle, .established):
            let due = entry.lastActivity + configuration.idleTimeout
            if now >= due {
                removed(id)
                return [.close(id, .idle)]
            }
            entry.generation = nextGeneration()
            entries[id] = entry
            return [.scheduleTimer(id, .idle, at: due, generation: entry.generation)]
        default:
            return []
        }
    }

    private mutating func nextGeneration() -> UInt64 {
        lastGeneration += 1
        return lastGeneration
    }
}
