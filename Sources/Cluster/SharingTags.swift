/// Which sharing tags this node is active for: a record carrying a tag is published only by the node
/// holding that tag active, so several nodes over one database never publish the same lamp twice.
///
/// Pure value type; the cluster bus (a later issue) feeds it peer announcements.
public struct SharingTags: Sendable, Equatable {
    /// State of one tag on this node.
    public enum State: String, Sendable, Equatable {
        /// This node publishes records with the tag.
        case active
        /// Another node does; this one keeps the records and stands by.
        case backup
    }

    /// What the node must do after a change.
    public enum Action: Sendable, Equatable {
        /// Tell peers that this node now holds `tag` active.
        case announceActive(tag: String)
        /// Start publishing (refreshing) the records carrying `tag`.
        case takeOverRecords(tag: String)
        /// Stop publishing records carrying `tag`; another node has them.
        case releaseRecords(tag: String)
    }

    private var states: [String: State] = [:]

    /// Every tag starts as backup; `initiallyActive` are active from the start.
    public init(initiallyActive: [String] = []) {
        for tag in initiallyActive { states[tag] = .active }
    }

    /// The state of `tag` (unknown tags are backup).
    public func state(of tag: String) -> State {
        states[tag] ?? .backup
    }

    /// Whether this node publishes a record carrying `tag`; records without a tag are always published.
    public func shouldPublish(recordTag tag: String?) -> Bool {
        guard let tag else { return true }
        return state(of: tag) == .active
    }

    /// An operator or fail-over made this node active for `tag`.
    public mutating func activationRequested(tag: String) -> [Action] {
        guard state(of: tag) != .active else { return [] }
        states[tag] = .active
        return [.announceActive(tag: tag), .takeOverRecords(tag: tag)]
    }

    /// A peer announced that it holds `tag` active.
    public mutating func peerAnnouncedActive(tag: String) -> [Action] {
        guard state(of: tag) == .active else {
            states[tag] = .backup
            return []
        }
        states[tag] = .backup
        return [.releaseRecords(tag: tag)]
    }

    /// Tags this node holds active, sorted.
    public var activeTags: [String] {
        states.filter { $0.value == .active }.map(\.key).sorted()
    }
}
