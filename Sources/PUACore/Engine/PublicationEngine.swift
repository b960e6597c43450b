import Foundation
import Logging
import Metrics
import SIPCore

/// The publication engine (OpenSIPS `pua`): owns the presentity table, runs one ``PublicationMachine`` per
/// publication against a ``PublishTransport``, keeps every refresh and retry timer, tells callbacks about
/// replies, and writes changed records to a ``PresentityStore`` in batches.
///
/// The actor is the table's one isolation domain. Machines are pure; this is the one place their actions
/// meet I/O: a `sendPublish` becomes a detached transaction whose outcome comes back as
/// ``outcomeReceived``; a `scheduleTimer` becomes an entry of one timer heap that ``run()`` (or a test,
/// through ``fireDueTimers(now:)``) fires.
public actor PublicationEngine {
    /// Tunables.
    public struct Configuration: Sendable {
        /// Per-publication protocol tunables (`pua.default_expires`, `pua.min_expires`, refresh, backoff).
        public var machine: PublicationMachine.Configuration
        /// log2 of the table's bucket count (`pua.hash_size`).
        public var hashSize: Int
        /// Refuse new publications beyond this many records (existing ones still update).
        public var maxPublications: Int
        /// `User-Agent` of every PUBLISH.
        public var userAgent: String
        /// How often changed records are written to the store.
        public var flushInterval: Duration
        /// Records per store batch.
        public var flushBatchSize: Int
        /// How often ``run()`` looks for due timers; a timer fires at most this late.
        public var timerResolution: Duration

        public init(
            machine: PublicationMachine.Configuration = PublicationMachine.Configuration(), hashSize: Int = 9,
            maxPublications: Int = 1_000_000, userAgent: String = "Lamplighter", flushInterval: Duration = .seconds(1),
            flushBatchSize: Int = 10_000, timerResolution: Duration = .milliseconds(100)
        ) {
            self.machine = machine
            self.hashSize = hashSize
            self.maxPublications = maxPublications
            self.userAgent = userAgent
            self.flushInterval = flushInterval
            self.flushBatchSize = flushBatchSize
            self.timerResolution = timerResolution
        }
    }

    let configuration: Configuration
    let transport: any PublishTransport
    let store: any PresentityStore
    let logger: Logger
    let clock: @Sendable () -> ContinuousClock.Instant
    let wallClock: @Sendable () -> Double
    let makeRandom: @Sendable () -> any RandomNumberGenerator & Sendable
    /// Told after every write to the store: whether it worked, and what waits (for the status board).
    let storeObserver: @Sendable (_ healthy: Bool, _ detail: String) -> Void

    var table: PresentityTable
    var registry: PresenceEventRegistry
    var callbacks = PublicationCallbacks()
    var timers = TimerHeap()
    var spreader: RefreshSpreader
    var random: any RandomNumberGenerator & Sendable
    /// Records changed since the last flush, and keys forgotten since then.
    var dirty = Set<PublicationKey>()
    var forgotten = Set<PublicationKey>()
    var serial: UInt64 = 0
    /// The dialog triple of each publication that got a reply (the seed's `is_dialog`); subscriptions add theirs.
    var dialogs: [SIPDialogID: PublicationKey] = [:]
    /// When ``run()`` last flushed.
    var lastFlush: ContinuousClock.Instant = .now
    /// PUBLISH transactions started and not yet answered.
    public internal(set) var transactionsInFlight = 0 {
        didSet { metrics.inFlight.record(transactionsInFlight) }
    }
    /// Final replies by status code, and transport failures by kind, since start.
    var replyCounts: [String: Int] = [:]
    /// The last write to the store: when it ended, how long it took, how many records, whether it worked.
    var lastWrite: (at: Double, seconds: Double, records: Int, succeeded: Bool)?

    let metrics = EngineMetrics()

    // Cluster mode (``joinCluster(node:sharingTag:activeTags:announce:)``).
    /// The sharing tags this node holds; nil outside a cluster (the node refreshes every record).
    var activeTags: Set<String>?
    /// This node's name and the tag its new records carry.
    var node = ""
    var ownSharingTag: String?
    /// Tells the other nodes about each change this node made at the server.
    var announcer: (@Sendable (PublicationAnnouncement) -> Void)?
    /// The latest announcement of another node per publication.
    var announced: [PublicationKey: PublicationAnnouncement] = [:]
    /// Keys looked up in the store (not in the table), with the updates that wait for them, in order.
    var lookups: [PublicationKey: [PublishParameters]] = [:]
    var lookupQueue: [PublicationKey] = []
    var lookupRunning = false
    /// Publications another node announced with a tag this node holds, not yet found in the store (written
    /// behind); looked up again at every flush until found or expired.
    var pendingAdoptions: Set<PublicationKey> = []
    /// When announcements were last pruned (expired publications and removals forgotten).
    var lastPrune: ContinuousClock.Instant = .now

    /// - Parameters:
    ///   - clock: the monotonic time machines and timers use; inject to test without sleeping.
    ///   - wallClock: seconds since 1970, for expiry times shown to operators and stored.
    ///   - makeRandom: a jitter source per publication.
    ///   - storeObserver: called after each write to the store with its outcome.
    public init(
        configuration: Configuration = Configuration(), events: PresenceEventRegistry = .builtIn,
        transport: any PublishTransport, store: any PresentityStore = InMemoryPresentityStore(), logger: Logger,
        clock: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now },
        wallClock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
        makeRandom: @escaping @Sendable () -> any RandomNumberGenerator & Sendable = { JitterRandom() },
        storeObserver: @escaping @Sendable (_ healthy: Bool, _ detail: String) -> Void = { _, _ in }
    ) {
        self.storeObserver = storeObserver
        self.configuration = configuration
        self.registry = events
        self.transport = transport
        self.store = store
        self.logger = logger
        self.clock = clock
        self.wallClock = wallClock
        self.makeRandom = makeRandom
        self.table = PresentityTable(hashSize: configuration.hashSize)
        self.spreader = RefreshSpreader(origin: clock())
        self.random = makeRandom()
    }

    // MARK: - Queries

    /// The publication of `key`, if the table holds it.
    public func publication(_ key: PublicationKey) -> PublicationSnapshot? {
        table[key]?.snapshot
    }

    /// Every publication, bucket by bucket.
    public func publications() -> [PublicationSnapshot] {
        table.records.map(\.snapshot)
    }

    /// Number of publications in the table.
    public var publicationCount: Int { table.count }

    /// Records per bucket.
    public var bucketSizes: [Int] { table.bucketSizes }

    /// Timer entries held (live and stale), for tests of compaction.
    var timerEntries: Int { timers.count }

    /// Refreshes placed in the second holding `at` (for tests of the spread).
    func refreshesPlaced(at: ContinuousClock.Instant) -> Int { spreader.placed(at: at) }
}
