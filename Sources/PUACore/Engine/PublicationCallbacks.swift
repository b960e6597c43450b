/// Registered callbacks, each for a set of sources (or all of them).
struct PublicationCallbacks: Sendable {
    private struct Entry: Sendable {
        var id: PublicationCallbackID
        var sources: Set<PublicationSource>?
        var callback: PublicationCallback
    }

    private var entries: [Entry] = []
    private var nextID: UInt64 = 0

    mutating func register(sources: Set<PublicationSource>?, _ callback: @escaping PublicationCallback) -> PublicationCallbackID {
        nextID += 1
        let id = PublicationCallbackID(value: nextID)
        entries.append(Entry(id: id, sources: sources, callback: callback))
        return id
    }

    /// Returns false when `id` was not registered.
    mutating func unregister(_ id: PublicationCallbackID) -> Bool {
        guard let index = entries.firstIndex(where: { $0.id == id }) else { return false }
        entries.remove(at: index)
        return true
    }

    var isEmpty: Bool { entries.isEmpty }

    /// Calls every callback registered for the snapshot's source.
    func notify(_ snapshot: PublicationSnapshot, _ outcome: PublicationOutcome) {
        for entry in entries where entry.sources?.contains(snapshot.source) ?? true {
            entry.callback(snapshot, outcome)
        }
    }
}
