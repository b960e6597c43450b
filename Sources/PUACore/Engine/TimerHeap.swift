/// Refresh and retry timers of every publication (timers are data, style rule 2).
///
/// Entries are never removed early: a record re-armed with a new generation leaves its old entry in the heap,
/// and the engine drops it when it surfaces (its generation no longer matches). ``rebuild(from:)`` compacts
/// the heap when stale entries pile up.
struct TimerHeap: Sendable {
    struct Entry: Sendable, Equatable, Comparable {
        var at: ContinuousClock.Instant
        var key: PublicationKey
        var generation: UInt64

        static func < (a: Entry, b: Entry) -> Bool { a.at < b.at }
    }

    private var heap = MinHeap<Entry>()

    var count: Int { heap.count }
    var isEmpty: Bool { heap.isEmpty }
    /// The earliest entry.
    var first: Entry? { heap.first }

    mutating func push(_ entry: Entry) { heap.push(entry) }

    /// Removes and returns the earliest entry if it is due at `now`.
    mutating func popDue(now: ContinuousClock.Instant) -> Entry? { heap.pop { $0.at <= now } }

    /// Replaces the contents with `live` entries (one per armed record).
    mutating func rebuild(from live: [Entry]) { heap.rebuild(from: live) }
}
