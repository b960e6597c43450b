/// Where publications are kept across restarts; ``PublicationEngine`` writes through it in batches and never
/// sees how (PostgreSQL in PUAStore, memory in ``InMemoryPresentityStore``).
public protocol PresentityStore: Sendable {
    /// Every stored publication.
    func loadAll() async throws(PresentityStoreError) -> [PublicationSnapshot]
    /// Every stored publication, yielded to `sink` in batches as they are read (the caller finishes `sink`).
    func load(into sink: AsyncStream<[PublicationSnapshot]>.Continuation) async throws(PresentityStoreError)
    /// Inserts or replaces these publications (one batch).
    func upsert(_ publications: [PublicationSnapshot]) async throws(PresentityStoreError)
    /// Deletes these publications (one batch); unknown keys are ignored.
    func delete(_ keys: [PublicationKey]) async throws(PresentityStoreError)
    /// The stored publications of `keys` (whatever node wrote them); unknown keys are left out.
    func load(keys: [PublicationKey]) async throws(PresentityStoreError) -> [PublicationSnapshot]
    /// The stored publications carrying `sharingTag` (whatever node wrote them).
    func load(sharingTag: String) async throws(PresentityStoreError) -> [PublicationSnapshot]
}

extension PresentityStore {
    /// One batch of ``loadAll()``, for stores that read everything at once.
    public func load(into sink: AsyncStream<[PublicationSnapshot]>.Continuation) async throws(PresentityStoreError) {
        sink.yield(try await loadAll())
    }

    /// ``load(keys:)`` by filtering ``loadAll()``, for stores that hold every row.
    public func load(keys: [PublicationKey]) async throws(PresentityStoreError) -> [PublicationSnapshot] {
        let wanted = Set(keys)
        return try await loadAll().filter { wanted.contains($0.key) }
    }

    /// ``load(sharingTag:)`` by filtering ``loadAll()``, for stores that hold every row.
    public func load(sharingTag: String) async throws(PresentityStoreError) -> [PublicationSnapshot] {
        try await loadAll().filter { $0.sharingTag == sharingTag }
    }
}

/// A store operation failed.
public struct PresentityStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The failure's category.
    public enum Code: Sendable, Equatable {
        /// The database cannot be reached.
        case unavailable
        /// The database refused the statement.
        case rejected
        /// Stored data cannot be read back.
        case corrupt
    }

    /// Category.
    public var code: Code
    /// What was being done and what the store said.
    public var context: String

    public init(code: Code, context: String) {
        self.code = code
        self.context = context
    }

    public var description: String { "\(code): \(context)" }
}
