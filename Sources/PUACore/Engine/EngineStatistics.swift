/// The engine's numbers for the status endpoint: a plain value taken in one actor turn.
public struct EngineStatistics: Sendable, Equatable {
    /// Publications per event package and state name (`published`, `publishing`, `failed`, `idle`).
    public var publications: [String: [String: Int]]
    /// PUBLISH transactions started and not yet answered.
    public var transactionsInFlight: Int
    /// Final replies by status code (`"200"`, `"412"`, …) and transport failures by kind (`"timeout"`, …) since start.
    public var replies: [String: Int]
    /// Changed records not yet written to the store.
    public var unflushed: Int
    /// When the last write to the store finished (seconds since 1970), nil before the first.
    public var lastFlushAt: Double?
    /// How long it took, seconds.
    public var lastFlushSeconds: Double?
    /// Records it wrote or deleted.
    public var lastFlushRecords: Int?
    /// Whether it worked.
    public var lastFlushSucceeded: Bool?

    public init(
        publications: [String: [String: Int]], transactionsInFlight: Int, replies: [String: Int], unflushed: Int,
        lastFlushAt: Double?, lastFlushSeconds: Double?, lastFlushRecords: Int?, lastFlushSucceeded: Bool?
    ) {
        self.publications = publications
        self.transactionsInFlight = transactionsInFlight
        self.replies = replies
        self.unflushed = unflushed
        self.lastFlushAt = lastFlushAt
        self.lastFlushSeconds = lastFlushSeconds
        self.lastFlushRecords = lastFlushRecords
        self.lastFlushSucceeded = lastFlushSucceeded
    }
}
