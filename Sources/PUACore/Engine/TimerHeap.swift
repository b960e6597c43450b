/// Refresh and retry timers of every publication as one binary min-heap (timers are data, style rule 2).
///
/// Entries are never removed early: a record re-armed with a new generation leaves its old entry in the heap,
/// and the engine drops it when it surfaces (its generation no longer matches). ``rebuild(from:)`` compacts
/// the heap when stale entries pile up.
struct TimerHeap: Sendable {
    struct Entry: Sendable, Equatable {
        var at: ContinuousClock.Instant
        var key: PublicationKey
        var generation: UInt64
    }

    private(set) var entries: [Entry] = []

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }
    /// The earliest entry.
    var first: Entry? { entries.first }

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
    mutating func popDue(now: ContinuousClock.Instant) -> Entry? {
        guard let top = entries.first, top.at <= now else { return nil }
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries[0] = last
            siftDown(0)
        }
        return top
    }

    /// Replaces the contents with `live` entries (one per armed record).
    mutating func rebuild(from live: [Entry]) {
        entries = live
        var index = entries.count / 2
        while index > 0 {
            index -= 1
            siftDown(index)
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < entries.count else { return }
            var smallest = left
            if left + 1 < entries.count, entries[left + 1].at < entries[left].at { smallest = left + 1 }
            guard entries[smallest].at < entries[parent].at else { return }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
