import PUACore

/// A ``PostgresPresentityStore`` that survives database outages: without a connection, or after one was lost,
/// each call tries to connect again (at most once per `retryInterval`) and otherwise fails `unavailable`, so
/// the engine keeps its dirty records and writes them when the database returns.
public actor ReconnectingPostgresStore: PresentityStore, FeedStateStore {
    let url: String
    let table: String
    let node: String?
    let sharingTags: [String]
    let loadsEveryNode: Bool
    /// Connections a flush spreads its statements over.
    let connectionCount: Int
    let retryInterval: Duration
    private var store: PostgresPresentityStore?
    private var connections: [PostgresConnection] = []
    private var lastAttempt: ContinuousClock.Instant?

    public init(
        url: String, table: String, node: String? = nil, sharingTags: [String] = [], loadsEveryNode: Bool = false, connections: Int = 2,
        retryInterval: Duration = .seconds(2)
    ) {
        self.url = url
        self.table = table
        self.node = node
        self.sharingTags = sharingTags
        self.loadsEveryNode = loadsEveryNode
        self.connectionCount = max(1, connections)
        self.retryInterval = retryInterval
    }

    /// True while a connection is up (for the status board).
    public var isConnected: Bool { store != nil }

    private func current() async throws(PresentityStoreError) -> PostgresPresentityStore {
        if let store { return store }
        if let lastAttempt, ContinuousClock.now - lastAttempt < retryInterval {
            throw PresentityStoreError(code: .unavailable, context: "PostgreSQL unreachable; next attempt within \(retryInterval)")
        }
        lastAttempt = .now
        var opened: [PostgresConnection] = []
        do {
            for _ in 0..<connectionCount { opened.append(try await PostgresConnection.connect(url: url)) }
            if let store = self.store {
                // Another caller connected meanwhile (actor reentrancy): keep its connections.
                for connection in opened { await connection.close() }
                return store
            }
            connections = opened
            let store = PostgresPresentityStore(connections: opened, table: table, node: node, sharingTags: sharingTags,
                loadsEveryNode: loadsEveryNode)
            self.store = store
            return store
        } catch {
            for connection in opened { await connection.close() }
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

    public func loadFeedState() async throws(PresentityStoreError) -> [FeedStateRecord] {
        try await using { (store) async throws(PresentityStoreError) in try await store.loadFeedState() }
    }

    public func writeFeedState(_ records: [FeedStateRecord], deleting deleted: [FeedStateKey]) async throws(PresentityStoreError) {
        try await using { (store) async throws(PresentityStoreError) in try await store.writeFeedState(records, deleting: deleted) }
    }
}
