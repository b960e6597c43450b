/// One feed's counters for the status endpoint.
public struct FeedCounters: Sendable, Equatable {
    public var feed: FeedKind
    /// Messages received on the feed's key.
    public var received: Int
    /// Events applied.
    public var applied: Int
    /// Events rejected, by reason.
    public var rejected: [FeedEventError.Reason: Int]
    /// Events dropped as stale.
    public var stale: Int
    /// When the last event was applied (seconds since 1970).
    public var lastEventAt: Double?
    /// How long after its own timestamp the last event was applied, seconds; nil when it carried none.
    public var lagSeconds: Double?

    public init(feed: FeedKind) {
        self.feed = feed
        received = 0
        applied = 0
        rejected = [:]
        stale = 0
    }
}
