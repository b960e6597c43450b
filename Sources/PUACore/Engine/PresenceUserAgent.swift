/// The agent's API for feed adapters and the admin API, after OpenSIPS's `pua_api_t`.
///
/// `send_subscribe` belongs to subscriptions and joins this protocol with them.
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
    /// True when `dialog` (Call-ID, this agent's tag, the peer's tag) belongs to one of this agent's
    /// publications (`is_dialog`); subscription dialogs join it with subscriptions.
    func isDialog(_ dialog: SIPDialogID) async -> Bool
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

    public func isDialog(_ dialog: SIPDialogID) -> Bool {
        dialogs[dialog] != nil
    }

    /// The dialog triple of a publication, once the server has answered it.
    public func dialog(of key: PublicationKey) -> SIPDialogID? {
        table[key].flatMap { record in
            record.remoteTag.map { SIPDialogID(callID: record.callID, localTag: record.fromTag, remoteTag: $0) }
        }
    }
}
