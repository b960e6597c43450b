/// Why an event could not be added to a registry.
public struct RegistryError: Error, Sendable, Equatable {
    /// The fault's category.
    public enum Code: Sendable, Equatable {
        /// An event with the same name (package compared case-insensitively) is already registered.
        case duplicateEvent
        /// The name has an empty package part (e.g. `""` or `";sla"`).
        case invalidName
    }

    /// Category.
    public var code: Code
    /// The offending event name.
    public var name: String

    public init(code: Code, name: String) {
        self.code = code
        self.name = name
    }
}

/// The event packages the agent knows (OpenSIPS pua's `add_event` list).
///
/// Names are compared with the package part (before the first `;`) case-insensitively, as RFC 6665
/// event packages are tokens compared that way here, and the parameters (e.g. `;sla`) exactly.
public struct PresenceEventRegistry: Sendable {
    private var events: [String: PresenceEvent] = [:]
    private var order: [String] = []

    /// An empty registry; see `builtIn` for the usual events.
    public init() {}

    /// Registered names, in the order they were added, as given to `add`.
    public var names: [String] { order.compactMap { events[$0]?.name } }

    /// Adds `event`; throws `duplicateEvent` when its name is taken, `invalidName` when its package is empty.
    public mutating func add(_ event: PresenceEvent) throws(RegistryError) {
        guard let key = Self.key(event.name) else { throw RegistryError(code: .invalidName, name: event.name) }
        guard events[key] == nil else { throw RegistryError(code: .duplicateEvent, name: event.name) }
        events[key] = event
        order.append(key)
    }

    /// The event registered under `name`, or nil.
    public func event(named name: String) -> PresenceEvent? {
        guard let key = Self.key(name) else { return nil }
        return events[key]
    }

    /// Lookup key: the package lowercased, parameters as given; nil for an empty package.
    static func key(_ name: String) -> String? {
        let package = name.prefix { $0 != ";" }
        guard !package.isEmpty else { return nil }
        return package.lowercased() + name.dropFirst(package.count)
    }
}
