/// What a `presence.winfo` subscriber knows, kept across NOTIFYs (RFC 3858 §4.4): a full document replaces it,
/// a partial one changes the watchers it names (by id; `terminated` ones leave); versions go up by one. A
/// repeated or older version is ignored; a partial document after a gap cannot be applied and asks for a fresh
/// full state (re-subscribe).
public struct WatcherInfoState: Sendable, Equatable {
    /// What applying a document did.
    public enum Outcome: Sendable, Equatable {
        /// Applied.
        case applied
        /// Version not newer than the last: ignored.
        case stale
        /// A partial document skipped versions (or came first): the state is unknown until a full one.
        case needsFullState
    }

    /// The last version applied.
    public private(set) var version: UInt64?
    /// Current watchers per (resource, package), by id.
    public private(set) var watchers: [String: [String: WatcherInfoDocument.Watcher]] = [:]

    public init() {}

    /// Applies a received document.
    public mutating func apply(_ document: WatcherInfoDocument) -> Outcome {
        if let version, document.version <= version { return .stale }
        switch document.state {
        case .full:
            watchers = [:]
            for list in document.lists {
                var current: [String: WatcherInfoDocument.Watcher] = [:]
                for watcher in list.watchers where watcher.status != .terminated { current[watcher.id] = watcher }
                watchers[Self.key(list)] = current
            }
        case .partial:
            guard let version, document.version == version + 1 else {
                self.version = nil
                watchers = [:]
                return .needsFullState
            }
            for list in document.lists {
                var current = watchers[Self.key(list)] ?? [:]
                for watcher in list.watchers {
                    current[watcher.id] = watcher.status == .terminated ? nil : watcher
                }
                watchers[Self.key(list)] = current
            }
        }
        version = document.version
        return .applied
    }

    /// The watchers of `resource` for `package`, by URI.
    public func watchers(of resource: String, package: String) -> [WatcherInfoDocument.Watcher] {
        (watchers[resource + " " + package] ?? [:]).values.sorted { ($0.uri, $0.id) < ($1.uri, $1.id) }
    }

    static func key(_ list: WatcherInfoDocument.WatcherList) -> String { list.resource + " " + list.package }
}
