/// The agent's API for feed adapters and the admin API, after OpenSIPS's `pua_api_t`.
///
/// `send_subscribe` and `is_dialog` belong to subscriptions and join this protocol with them.
public protocol PresenceUserAgent: Sendable {
    /// Makes the presence server hold this publication (`send_publish`); see ``PublicationEngine/sendPublish(_:)``.
    func sendPublish(_ parameters: PublishParameters) async throws(PublishRequestError)
    /// Registers `callback` for reply events of publications from `sources` (nil: every source) (`register_puacb`).
    func registerCallback(for sources: Set<PublicationSource>?, _ callback: @escaping PublicationCallback) async -> PublicationCallbackID
    /// Removes a callback; false when it was not registered.
    func unregisterCallback(_ id: PublicationCallbackID) async -> Bool
    /// Registers an event package (`add_event`).
    func addEvent(_ event: PresenceEvent) async throws(RegistryError)
    /// True when the event is registered for publishing.
    func canPublish(event: String) async -> Bool
}

extension PublicationEngine: PresenceUserAgent {
    public func registerCallback(
        for sources: Set<PublicationSource>?, _ callback: @escaping PublicationCallback
    ) -> PublicationCallbackID {
        callbacks.register(sources: sources, callback)
    }

    public func unregisterCallback(_ id: PublicationCallbackID) -> Bool {
        callbacks.unregister(id)
    }

    public func addEvent(_ event: PresenceEvent) throws(RegistryError) {
        try registry.add(event)
    }

    public func canPublish(event: String) -> Bool {
        registry.event(named: event)?.canPublish ?? false
    }
}
