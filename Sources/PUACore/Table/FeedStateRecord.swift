/// One entry of a feed adapter's state as a store keeps it: the adapter's table (`registrations`, `dialogs`,
/// `dialog-presentities`, `mwi`), the entry's key (an AOR, a dialog, a presentity), and the entry as JSON.
public struct FeedStateRecord: Sendable, Equatable {
    /// Which adapter table.
    public var feed: String
    /// The entry's key within it.
    public var key: String
    /// The entry, as UTF-8 JSON.
    public var state: [UInt8]

    public init(feed: String, key: String, state: [UInt8]) {
        self.feed = feed
        self.key = key
        self.state = state
    }

    /// Table and key.
    public var id: FeedStateKey { FeedStateKey(feed: feed, key: key) }
}

/// Identifies a ``FeedStateRecord``.
public struct FeedStateKey: Sendable, Hashable, Comparable {
    public var feed: String
    public var key: String

    public init(feed: String, key: String) {
        self.feed = feed
        self.key = key
    }

    public static func < (lhs: FeedStateKey, rhs: FeedStateKey) -> Bool { (lhs.feed, lhs.key) < (rhs.feed, rhs.key) }
}
