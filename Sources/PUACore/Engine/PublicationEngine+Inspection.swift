extension PublicationEngine {
    /// The publications `filter` passes, ordered by presentity, event and id, `limit` of them from `offset`,
    /// and how many pass in all.
    public func publications(matching filter: PublicationFilter, offset: Int = 0, limit: Int = 100) -> (total: Int, page: [PublicationSnapshot]) {
        var matching: [PublicationKey] = []
        for record in table.records where filter.matches(key: record.key, state: record.machine.state) { matching.append(record.key) }
        matching.sort { ($0.presentity, $0.event, $0.id) < ($1.presentity, $1.event, $1.id) }
        let page = matching.dropFirst(max(0, offset)).prefix(max(0, limit)).compactMap { table[$0]?.snapshot }
        return (matching.count, page)
    }

    /// Counts for the status endpoint.
    public func statistics() -> EngineStatistics {
        var publications: [String: [String: Int]] = [:]
        for record in table.records {
            publications[record.key.event, default: [:]][Self.stateName(record.machine.state), default: 0] += 1
        }
        return EngineStatistics(
            publications: publications, transactionsInFlight: transactionsInFlight, replies: replyCounts,
            unflushed: unflushedCount, lastFlushAt: lastWrite?.at, lastFlushSeconds: lastWrite?.seconds,
            lastFlushRecords: lastWrite?.records, lastFlushSucceeded: lastWrite?.succeeded)
    }

    /// The operator's name of a state.
    public static func stateName(_ state: PublicationMachine.State) -> String {
        switch state {
        case .idle: "idle"
        case .publishing: "publishing"
        case .published: "published"
        case .failed: "failed"
        case .removed: "removed"
        }
    }

    /// The state of an operator's name.
    public static func state(named name: String) -> PublicationMachine.State? {
        switch name {
        case "idle": .idle
        case "publishing": .publishing
        case "published": .published
        case "failed": .failed
        case "removed": .removed
        default: nil
        }
    }
}
