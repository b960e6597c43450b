import PUACore

/// Adapter checks due at wall-clock times, at most one per feed and key: the earliest asked for.
///
/// Checks are idempotent and early ones harmless, and an adapter's `checkDue` asks again for whatever is still
/// pending for its key. So a request later than the key's pending check is dropped (that check will ask for
/// it), and an earlier one takes its place (the later entry stays in the heap, stale, and is skipped when it
/// comes up). The queue holds one live entry per key with something pending, however many events the key
/// had: with one entry per event, a registrar's re-registrations kept one per REGISTER for as long as the
/// contact's expiry (a soak grew by about 2 MB a minute at 250 events/s).
struct FeedCheckQueue: Sendable {
    struct Entry: Sendable, Equatable, Comparable {
        var at: Double
        var feed: FeedKind
        var key: String

        static func < (a: Entry, b: Entry) -> Bool { a.at < b.at }
    }

    private struct Key: Hashable, Sendable {
        var feed: FeedKind
        var key: String
    }

    private var heap = MinHeap<Entry>()
    /// The pending check of each key: the time of its live heap entry.
    private var pending: [Key: Double] = [:]

    /// Keys with a check pending.
    var count: Int { pending.count }

    /// Entries in the heap, stale ones included (for tests: the bound on memory).
    var storedEntries: Int { heap.count }

    mutating func push(_ entry: Entry) {
        let key = Key(feed: entry.feed, key: entry.key)
        if let existing = pending[key], existing <= entry.at { return }
        pending[key] = entry.at
        heap.push(entry)
    }

    /// Removes and returns the earliest live entry if it is due at `now` (stale ones are dropped on the way).
    mutating func popDue(now: Double) -> Entry? {
        while let entry = heap.pop(if: { $0.at <= now }) {
            let key = Key(feed: entry.feed, key: entry.key)
            guard pending[key] == entry.at else { continue }
            pending[key] = nil
            return entry
        }
        return nil
    }
}
