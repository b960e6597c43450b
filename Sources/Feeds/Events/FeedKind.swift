/// The feeds Lamplighter reads.
public enum FeedKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Contact inserts, updates, deletes and expiries of a registrar.
    case registrations
    /// Call state for BLF and shared lines.
    case dialogs
    /// Voicemail counts for message-waiting lamps.
    case mwi

    public var description: String { rawValue }
}
