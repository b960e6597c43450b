/// A ``FeedStateStore`` in process memory: for tests, and for a daemon without a database (state is lost on
/// restart). `failing` makes every call fail `unavailable`, as a database outage would.
public actor InMemoryFeedStateStore: FeedStateStore {
    private var records: [FeedStateKey: FeedStateRecord] = [:]
    /// While set, every call fails with this error.
    public var failure: PresentityStoreError?
    /// Writes that succeeded.
    public private(set) var writes = 0

    public init() {}

    public func loadFeedState() async throws(PresentityStoreError) -> [FeedStateRecord] {
        if let failure { throw failure }
        return records.values.sorted { $0.id < $1.id }
    }

    public func writeFeedState(_ written: [FeedStateRecord], deleting deleted: [FeedStateKey]) async throws(PresentityStoreError) {
        if let failure { throw failure }
        for key in deleted { records[key] = nil }
        for record in written { records[record.id] = record }
        writes += 1
    }

    /// Makes later calls fail (nil: succeed again).
    public func setFailure(_ failure: PresentityStoreError?) {
        self.failure = failure
    }

    /// The stored entry of `key`.
    public func record(_ feed: String, _ key: String) -> FeedStateRecord? {
        records[FeedStateKey(feed: feed, key: key)]
    }

    /// Number of stored entries.
    public var count: Int { records.count }
}
