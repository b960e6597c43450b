/// Which sharing tags this node holds, as a pure state machine. Each tag is a PostgreSQL advisory lock (one
/// per cluster id and tag) held by one database session: the node that holds it refreshes and expires the
/// records carrying the tag; the others stand by. The runner (``TagLeaseService``) tries the locks and
/// reports back.
///
/// - The node's own tags are tried from the start; backup tags only after `backupDelay`, so at a cold start
///   every node first gets its own and a node that comes back finds its tag held and stays backup (no
///   stealing, no fail-back).
/// - Every `checkInterval` the tags not held are tried again (a dead holder's session ends, its lock is free)
///   and the session is checked: a lost session loses every lock at once, so everything is given up at once.
/// - Time is injected; checks are timers with a generation.
public struct TagLeases: Sendable {
    /// Tunables.
    public struct Configuration: Sendable, Equatable {
        /// Tags this node holds when it can (`cluster.sharing_tag`).
        public var ownTags: [String]
        /// Tags it takes over when nobody holds them (`cluster.backup_tags`).
        public var backupTags: [String]
        /// How often locks not held are tried and the session checked.
        public var checkInterval: Duration
        /// Backup tags are not tried before this long after the start.
        public var backupDelay: Duration

        public init(ownTags: [String], backupTags: [String] = [], checkInterval: Duration = .seconds(1), backupDelay: Duration = .seconds(3)) {
            self.ownTags = ownTags
            self.backupTags = backupTags.filter { !ownTags.contains($0) }
            self.checkInterval = checkInterval
            self.backupDelay = backupDelay
        }

        /// Every tag, own first.
        public var allTags: [String] { ownTags + backupTags }
    }

    /// What the runner must do, in order.
    public enum Action: Sendable, Equatable {
        /// Try to take these locks (`pg_try_advisory_lock`); report with ``attemptFinished(acquired:now:)``, or
        /// ``sessionLost(now:)`` when the session fails. Empty: just check the session.
        case tryAcquire([String])
        /// This node now holds `tag`: take over the records carrying it.
        case activate(String)
        /// This node no longer holds `tag`: stop refreshing and expiring its records.
        case deactivate(String)
        /// Call ``checkDue(generation:now:)`` at `at`.
        case scheduleCheck(at: ContinuousClock.Instant, generation: UInt64)
    }

    /// Where the leases stand.
    public enum State: Sendable, Equatable {
        /// Not started.
        case idle
        /// Running; an attempt is out.
        case attempting
        /// Running; waiting for the next check.
        case waiting
        /// Stopped: nothing held.
        case stopped
    }

    public let configuration: Configuration
    public private(set) var state: State = .idle
    /// Tags held now.
    public private(set) var held: Set<String> = []
    var startedAt: ContinuousClock.Instant?
    var generation: UInt64 = 0

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Starts: the own tags are tried at once.
    public mutating func start(now: ContinuousClock.Instant) -> [Action] {
        guard state == .idle else { return [] }
        startedAt = now
        return attempt(now: now)
    }

    /// The check timer fired; a stale generation, or one while an attempt is out, is ignored.
    public mutating func checkDue(generation fired: UInt64, now: ContinuousClock.Instant) -> [Action] {
        guard state == .waiting, fired == generation else { return [] }
        return attempt(now: now)
    }

    /// The attempt ended with the session alive: `acquired` are the tags newly locked.
    public mutating func attemptFinished(acquired: [String], now: ContinuousClock.Instant) -> [Action] {
        guard state == .attempting else { return [] }
        var actions: [Action] = []
        for tag in configuration.allTags where acquired.contains(tag) && !held.contains(tag) {
            held.insert(tag)
            actions.append(.activate(tag))
        }
        return actions + wait(now: now)
    }

    /// The session failed (its locks are gone with it): every tag is given up at once, and tried again at the
    /// next check on a new session.
    public mutating func sessionLost(now: ContinuousClock.Instant) -> [Action] {
        guard state == .attempting || state == .waiting else { return [] }
        let lost = configuration.allTags.filter { held.contains($0) }
        held.removeAll()
        return lost.map { .deactivate($0) } + wait(now: now)
    }

    /// Stops (a graceful shutdown): every tag is given up; the runner then closes the session.
    public mutating func stop() -> [Action] {
        guard state != .stopped else { return [] }
        state = .stopped
        generation += 1
        let released = configuration.allTags.filter { held.contains($0) }
        held.removeAll()
        return released.map { .deactivate($0) }
    }

    /// The tags to try at `now`: own ones always, backup ones after the delay.
    func candidates(now: ContinuousClock.Instant) -> [String] {
        let backupsDue = startedAt.map { now - $0 >= configuration.backupDelay } ?? false
        return (configuration.ownTags + (backupsDue ? configuration.backupTags : [])).filter { !held.contains($0) }
    }

    mutating func attempt(now: ContinuousClock.Instant) -> [Action] {
        state = .attempting
        return [.tryAcquire(candidates(now: now))]
    }

    mutating func wait(now: ContinuousClock.Instant) -> [Action] {
        state = .waiting
        generation += 1
        return [.scheduleCheck(at: now + configuration.checkInterval, generation: generation)]
    }
}
