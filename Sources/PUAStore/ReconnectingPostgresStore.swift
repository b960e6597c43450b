import PUACore

/// A ``PostgresPresentityStore`` that survives database outages: without a connection, or after one was lost,
/// each call tries to connect again (at most once per `retryInterval`) and otherwise fails `unavailable`, so
/// the engine keeps its dirty records and writes them when the database returns.
public actor ReconnectingPostgresStore: PresentityStore {
    let url: String
    let table: String
    let retryInterval: Duration
    private var store: PostgresPresentityStore?
    private var connection: PostgresConnection?
    private var lastAttempt: ContinuousClock.Instant?

    public init(url: String, table: String, retryInterval: Duration = .seconds(2)) {
        self.url = url
        self.table = table
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
        do {
            let connection = try await PostgresConnection.connect(url: url)
            self.connection = connection
            let store = PostgresPresentityStore(connection: connection, table: table)
            self.store = store
            return store
        } catch {
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
                await connection?.close()
                connection = nil
                self.store = nil
            }
            throw error
        }
    }

    public func loadAll() async throws(PresentityStoreError) -> [PublicationSnapshot] {
        try await using { (store) async throws(PresentityStoreError) in try await store.loadAll() }
    }

    public func upsert(_ publications: [PublicationSnapshot]) async throws(PresentityStoreError) {
        try await using { (store) async throws(PresentityStoreError) in try await store.upsert(publications) }
    }

    public func delete(_ keys: [PublicationKey]) async throws(PresentityStoreError) {
        try await using { (store) async throws(PresentityStoreError) in try await store.delete(keys) }
    }
}
