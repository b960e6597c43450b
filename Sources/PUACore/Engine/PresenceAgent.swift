/// The whole agent API (the seed's `pua_api_t`): publications through a ``PublicationEngine`` and
/// subscriptions through a ``SubscriptionEngine``. `isDialog` answers for both.
public struct PresenceAgent: PresenceUserAgent {
    public let publications: PublicationEngine
    public let subscriptions: SubscriptionEngine

    public init(publications: PublicationEngine, subscriptions: SubscriptionEngine) {
        self.publications = publications
        self.subscriptions = subscriptions
    }

    public func sendPublish(_ parameters: PublishParameters) async throws(PublishRequestError) {
        try await publications.sendPublish(parameters)
    }

    /// Starts a subscription (`send_subscribe`).
    public func sendSubscribe(_ parameters: SubscribeParameters) async {
        await subscriptions.sendSubscribe(parameters)
    }

    public func registerCallback(for sources: Set<PublicationSource>?, _ callback: @escaping PublicationCallback) async -> PublicationCallbackID {
        await publications.registerCallback(for: sources, callback)
    }

    public func unregisterCallback(_ id: PublicationCallbackID) async -> Bool {
        await publications.unregisterCallback(id)
    }

    public func addEvent(_ event: PresenceEvent) async throws(RegistryError) {
        try await publications.addEvent(event)
    }

    public func canPublish(event: String) async -> Bool {
        await publications.canPublish(event: event)
    }

    /// Whether `dialog` is one of this agent's: a publication's (Call-ID, From tag, the server's To tag) or a
    /// subscription's.
    public func isDialog(_ dialog: SIPDialogID) async -> Bool {
        if await publications.isDialog(dialog) { return true }
        return await subscriptions.isDialog(dialog)
    }
}
