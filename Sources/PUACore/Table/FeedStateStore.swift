/// Where the feed adapters keep their state across restarts (contacts per AOR, dialogs per presentity, event
/// orders), so an unregister or a hang-up arriving after a restart still turns its lamp off. The feed service
/// writes changed entries in batches and never sees how (PostgreSQL in PUAStore, memory in
/// ``InMemoryFeedStateStore``).
public protocol FeedStateStore: Sendable {
    /// Every stored entry (of this node, for a store that knows nodes).
    func loadFeedState() async throws(PresentityStoreError) -> [FeedStateRecord]
    /// Inserts or replaces `records` and deletes `deleted` (unknown keys are ignored).
    func writeFeedState(_ records: [FeedStateRecord], deleting deleted: [FeedStateKey]) async throws(PresentityStoreError)
}
