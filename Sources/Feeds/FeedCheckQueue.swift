import PUACore

/// Adapter checks due at wall-clock times. Checks are idempotent, so duplicates and early ones are harmless
/// and none is ever cancelled.
struct FeedCheckQueue: Sendable {
    struct Entry: Sendable, Equatable, Comparable {
        var at: Double
        var feed: FeedKind
        var key: String

        static func < (a: Entry, b: Entry) -> Bool { a.at < b.at }
    }

    private var heap = MinHeap<Entry>()

    var count: Int { heap.count }

    mutating func push(_ entry: Entry) { heap.push(entry) }

    /// Removes and returns the earliest entry if it is due at `now`.
    mutating func popDue(now: Double) -> Entry? { heap.pop { $0.at <= now } }
}
