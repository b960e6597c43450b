import CLibXML2

/// An RFC 3858 watcher information document (`application/watcherinfo+xml`, event `presence.winfo`): who
/// watches a resource, in what state, and why it last changed.
public struct WatcherInfoDocument: Sendable, Equatable {
    /// `full` replaces what a subscriber knows; `partial` changes some watchers.
    public enum State: String, Sendable, Equatable {
        case full, partial
    }

    /// A watcher's subscription state (RFC 3857 §4.1).
    public enum Status: String, Sendable, Equatable {
        case pending, active, waiting, terminated
    }

    /// One `<watcher>`.
    public struct Watcher: Sendable, Equatable {
        public var id: String
        /// The watcher's URI (the element's text).
        public var uri: String
        public var status: Status
        /// What changed it: `subscribe`, `approved`, `deactivated`, `probation`, `rejected`, `timeout`, `giveup`,
        /// `noresource` (or an extension).
        public var event: String
        public var displayName: String?
        public var expiration: Int?
        public var durationSubscribed: Int?

        public init(id: String, uri: String, status: Status, event: String, displayName: String? = nil, expiration: Int? = nil, durationSubscribed: Int? = nil) {
            self.id = id
            self.uri = uri
            self.status = status
            self.event = event
            self.displayName = displayName
            self.expiration = expiration
            self.durationSubscribed = durationSubscribed
        }
    }

    /// One `<watcher-list>`: the watchers of a resource for one event package.
    public struct WatcherList: Sendable, Equatable {
        public var resource: String
        public var package: String
        public var watchers: [Watcher]

        public init(resource: String, package: String, watchers: [Watcher]) {
            self.resource = resource
            self.package = package
            self.watchers = watchers
        }
    }

    public var version: UInt64
    public var state: State
    public var lists: [WatcherList]

    public init(version: UInt64, state: State, lists: [WatcherList]) {
        self.version = version
        self.state = state
        self.lists = lists
    }

    /// The MIME type of the body.
    public static let contentType = "application/watcherinfo+xml"
    /// The largest body parsed.
    public static let maximumBodySize = 256 * 1024

    /// Parses a watcherinfo body (prefixed or default namespace) with libxml2, network access off.
    public init(parsing bytes: [UInt8]) throws(XMLParseError) {
        self = try XMLTree.withRoot(
            of: bytes, maximum: Self.maximumBodySize, name: "watcherinfo", namespace: "urn:ietf:params:xml:ns:watcherinfo",
            what: "an RFC 3858 <watcherinfo>", Self.init(root:))
    }

    private init(root: xmlNodePtr) throws(XMLParseError) {
        guard let versionText = XMLTree.attribute(root, "version"), let version = UInt64(versionText.trimmingSpaces()) else {
            throw XMLParseError(code: .unexpectedDocument, context: "<watcherinfo> has no numeric version attribute")
        }
        guard let stateText = XMLTree.attribute(root, "state"), let state = State(rawValue: stateText.trimmingSpaces()) else {
            throw XMLParseError(code: .unexpectedDocument, context: "<watcherinfo> state must be full or partial")
        }
        var lists: [WatcherList] = []
        for listNode in XMLTree.children(root, named: "watcher-list") {
            guard let resource = XMLTree.attribute(listNode, "resource"), let package = XMLTree.attribute(listNode, "package") else {
                throw XMLParseError(code: .unexpectedDocument, context: "a <watcher-list> lacks its resource or package")
            }
            var watchers: [Watcher] = []
            for node in XMLTree.children(listNode, named: "watcher") {
                guard let id = XMLTree.attribute(node, "id") else {
                    throw XMLParseError(code: .unexpectedDocument, context: "a <watcher> of \(resource) has no id")
                }
                guard let status = XMLTree.attribute(node, "status").flatMap(Status.init(rawValue:)) else {
                    throw XMLParseError(code: .unexpectedDocument, context: "watcher '\(id)' has no status of pending, active, waiting or terminated")
                }
                guard let event = XMLTree.attribute(node, "event"), !event.isEmpty else {
                    throw XMLParseError(code: .unexpectedDocument, context: "watcher '\(id)' has no event")
                }
                watchers.append(Watcher(
                    id: id, uri: XMLTree.text(node).trimmingSpaces(), status: status, event: event,
                    displayName: XMLTree.attribute(node, "display-name"),
                    expiration: XMLTree.attribute(node, "expiration").flatMap { Int($0) },
                    durationSubscribed: XMLTree.attribute(node, "duration-subscribed").flatMap { Int($0) }))
            }
            lists.append(WatcherList(resource: resource, package: package, watchers: watchers))
        }
        self.init(version: version, state: state, lists: lists)
    }
}
