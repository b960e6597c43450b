/// A stored feed-state entry that cannot be restored (skipped and counted; the rest restore).
public struct FeedStateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The adapter table.
    public var feed: String
    /// The entry's key.
    public var key: String
    /// What was wrong.
    public var context: String

    public init(feed: String, key: String, context: String) {
        self.feed = feed
        self.key = key
        self.context = context
    }

    public var description: String { "feed state \(feed) \"\(key)\": \(context)" }
}
