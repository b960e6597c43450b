/// A ``PresentityStore`` in process memory: what the daemon uses when no database is configured (state is
/// lost on restart), and what a node keeps for inspection.
public actor InMemoryPresentityStore: PresentityStore {
    private var publications: [PublicationKey: PublicationSnapshot] = [:]
    /// How many batches were written (upserts and deletes).
    public private(set) var batches = 0

    public init() {}

    public func loadAll() async throws(PresentityStoreError) -> [PublicationSnapshot] {
        Array(publications.values)
    }

    public func upsert(_ batch: [PublicationSnapshot]) async throws(PresentityStoreError) {
        batches += 1
        for publication in batch { publications[publication.key] = publication }
    }

    public func delete(_ keys: [PublicationKey]) async throws(PresentityStoreError) {
        batches += 1
        for key in keys { publications[key] = nil }
    }

    /// The stored publication of `key`.
    public func publication(_ key: PublicationKey) -> PublicationSnapshot? {
        publications[key]
    }

    /// Number of stored publications.
    public var count: Int { publications.count }
}
