import PUACore

/// A ``PostgresPresentityStore`` that survives database outages: without a connection, or after one was lost,
/// a call tries to connect again once the backoff allows (`retryInterval`, doubling after each failed attempt
/// up to `maxRetryInterval`, back to `retryInterval` once connected) and otherwise fails `unavailable`, so
/// the engine keeps its dirty records and writes them when the database returns.
public actor ReconnectingPostgresStore: PresentityStore, FeedStateStore, SubscriptionStore {
    let url: String
    let table: String
    let node: String?
    let sharingTags: [String]
    let loadsEveryNode: Bool
    /// Connections a flush spreads its statements over.
    let connectionCount: Int
    let retryInterval: Duration
    let maxRetryInterval: Duration
    let clock: @Sendable () -> ContinuousClock.Instant
    private var store: PostgresPresentityStore?
    private var connections: [PostgresConnection] = []
    /// No connection attempt before this.
    private var nextAttempt: ContinuousClock.Instant?
    /// The wait after the next failed attempt.
    private var backoff: Duration

    public init(
        url: String, table: String, node: String? = nil, sharingTags: [String] = [], loadsEveryNode: Bool = false, connections: Int = 2,
        retryInterval: Duration = .seconds(1), maxRetryInterval: Duration = .seconds(10),
        clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.url = url
        self.table = table
        self.node = node
        self.sharingTags = sharingTags
        self.loadsEveryNode = loadsEveryNode
        self.connectionCount = max(1, connections)
        self.retryInterval = retryInterval
        self.maxRetryInterval = max(maxRetryInterval, retryInterval)
        self.clock = clock
        backoff = retryInterval
    }

    /// True while a connection is up (for the status board).
    public var isConnected: Bool { store != nil }

    private func current() async throws(PresentityStoreError) -> PostgresPresentityStore {
        if let store { return store }
        let now = clock()
        if let nextAttempt, now < nextAttempt {
            throw PresentityStoreError(code: .unavailable, context: "PostgreSQL unreachable; next attempt within \(nextAttempt - now)")
        }
        var opened: [PostgresConnection] = []
        do {
            for _ in 0..<connectionCount { opened.append(try await PostgresConnection.connect(url: url)) }
            if let store = self.store {
                // Another caller connected meanwhile (actor reentrancy): keep its connections.
                for connection in opened { await connection.close() }
                return store
            }
            connections = opened
            nextAttempt = nil
            backoff = retryInterval
            let store = PostgresPresentityStore(connections: opened, table: table, node: node, sharingTags: sharingTags,
                loadsEveryNode: loadsEveryNode)
            self.store = store
            return store
        } catch {
            for connection in opened { await connection.close() }
            nextAttempt = clock() + backoff
            backoff = min(backoff * 2, maxRetryInterval)
            throw PostgresPresentityStore.storeError(error, doing: "connecting")
        }
    }

    /// Runs `body` on the current store; an `unavailable` failure drops the connection for the next call to replace.
    private func using<T: Sendable>(_ body: (PostgresPresentityStore) async throws(PresentityStoreError) -> T) async throws(PresentityStoreError) -> T {
        let store = try await current()
        do {
            return try await body(store)
        } catch {
            if error.code == .unavailable {
                for connection in connections { await connection.close() }
                connections = []
                self.store = nil
            }
            throw error
        }
    }

    public func loadAll() async throws(PresentityStoreError) -> [PublicationSnapshot] {
        try await using { (store) async throws(PresentityStoreError) in try await store.loadAll() }
    }

    public func load(into sink: AsyncStream<[PublicationSnapshot]>.Continuation) async throws(PresentityStoreError) {
        try await using { (store) async throws(PresentityStoreError) in try await store.load(into: sink) }
    }

    public func upsert(_ publications: [PublicationSnapshot]) async throws(PresentityStoreError) {
        try await using { (store) async throws(PresentityStoreError) in try await store.upsert(publications) }
    }

    public func delete(_ keys: [PublicationKey]) async throws(PresentityStoreError) {
        try await using { (store) async throws(PresentityStoreError) in try await store.delete(keys) }
    }

    public func load(keys: [PublicationKey]) async throws(PresentityStoreError) -> [PublicationSnapshot] {
        try await using { (store) async throws(PresentityStoreError) in try await store.load(keys: keys) }
    }

    public func load(sharingTag: String) async throws(PresentityStoreError) -> [PublicationSnapshot] {
        try await using { (store) async throws(PresentityStoreError) in try await store.load(sharingTag: sharingTag) }
    }

    public func loadFeedState() async throws(PresentityStoreError) -> [FeedStateRecord] {
        try await using { (store) async throws(PresentityStoreError) in try await store.loadFeedState() }
    }

    public func writeFeedState(_ records: [FeedStateRecord], deleting deleted: [FeedStateKey]) async throws(PresentityStoreError) {
        try await using { (store) async throws(PresentityStoreError) in try await store.writeFeedState(records, deleting: deleted) }
    }

    public func loadSubscriptions() async throws(PresentityStoreError) -> [SubscriptionSnapshot] {
        try await using { (store) async throws(PresentityStoreError) in try await store.loadSubscriptions() }
    }

    public func writeSubscriptions(_ subscriptions: [SubscriptionSnapshot], deleting deleted: [SubscriptionKey]) async throws(PresentityStoreError) {
        try await using { (store) async throws(PresentityStoreError) in try await store.writeSubscriptions(subscriptions, deleting: deleted) }
    }
}
