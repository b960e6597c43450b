/// Identifies a stored subscription: the resource, event package, the subscription's id and its watcher
/// (the `pua` row key: `pres_uri`, `event`, `pres_id`, `watcher_uri`).
public struct SubscriptionKey: Hashable, Sendable {
    public var resource: String
    public var event: String
    public var id: String
    public var watcher: String

    public init(resource: String, event: String, id: String, watcher: String) {
        self.resource = resource
        self.event = event
        self.id = id
        self.watcher = watcher
    }
}
