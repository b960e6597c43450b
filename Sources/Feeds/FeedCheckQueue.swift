/// Adapter checks due at wall-clock times, as a binary min-heap. Checks are idempotent, so duplicates and
/// early ones are harmless and none is ever cancelled.
struct FeedCheckQueue: Sendable {
    struct Entry: Sendable, Equatable {
        var at: Double
        var feed: FeedKind
        var key: String
    }

    private(set) var entries: [Entry] = []

    var count: Int { entries.count }

    mutating func push(_ entry: Entry) {
        entries.append(entry)
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].at < entries[parent].at else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest entry if it is due at `now`.
    mutating func popDue(now: Double) -> Entry? {
        guard let top = entries.first, top.at <= now else { return nil }
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                guard left < entries.count else { break }
                var smallest = left
                if left + 1 < entries.count, entries[left + 1].at < entries[left].at { smallest = left + 1 }
                guard entries[smallest].at < entries[parent].at else { break }
                entries.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return top
    }
}
