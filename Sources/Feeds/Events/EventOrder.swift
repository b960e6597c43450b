/// Where an event stands in its key's history: `seq` when both events carry one, else `timestamp`.
public struct EventOrder: Sendable, Equatable, Codable {
    /// Seconds since 1970 at the source.
    public var timestamp: Double?
    /// The source's sequence number for the key.
    public var seq: UInt64?

    public init(timestamp: Double? = nil, seq: UInt64? = nil) {
        self.timestamp = timestamp
        self.seq = seq
    }

    /// True when this event is older than `last` (the latest applied for its key); events without comparable
    /// stamps are never older.
    public func isOlder(than last: EventOrder) -> Bool {
        if let mine = seq, let theirs = last.seq { return mine < theirs }
        if let mine = timestamp, let theirs = last.timestamp { return mine < theirs }
        return false
    }

    /// The later of two stamps, field by field, for keeping as "last applied".
    public func merged(with other: EventOrder) -> EventOrder {
        EventOrder(
            timestamp: [timestamp, other.timestamp].compactMap { $0 }.max(),
            seq: [seq, other.seq].compactMap { $0 }.max())
    }
}
