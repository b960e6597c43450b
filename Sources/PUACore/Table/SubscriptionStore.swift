/// Where subscriptions (`send_subscribe`) are kept across restarts, beside the publications (the same `pua`
/// table in PUAStore; memory in ``InMemorySubscriptionStore``). ``SubscriptionEngine`` writes changed ones
/// every flush and never sees how.
public protocol SubscriptionStore: Sendable {
    /// Every stored subscription (of this node, for a store that knows nodes).
    func loadSubscriptions() async throws(PresentityStoreError) -> [SubscriptionSnapshot]
    /// Inserts or replaces `subscriptions` and deletes `deleted` (unknown keys are ignored; a key in both is
    /// written, not deleted).
    func writeSubscriptions(_ subscriptions: [SubscriptionSnapshot], deleting deleted: [SubscriptionKey]) async throws(PresentityStoreError)
}
