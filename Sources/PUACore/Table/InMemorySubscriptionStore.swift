/// A ``SubscriptionStore`` in process memory: for tests, and for a daemon without a database (subscriptions
/// are lost on restart). `failure` makes every call fail, as a database outage would.
public actor InMemorySubscriptionStore: SubscriptionStore {
    private var subscriptions: [SubscriptionKey: SubscriptionSnapshot] = [:]
    /// While set, every call fails with this error.
    public private(set) var failure: PresentityStoreError?
    /// Writes that succeeded.
    public private(set) var writes = 0

    public init(_ subscriptions: [SubscriptionSnapshot] = []) {
        for subscription in subscriptions { self.subscriptions[subscription.key] = subscription }
    }

    public func loadSubscriptions() async throws(PresentityStoreError) -> [SubscriptionSnapshot] {
        if let failure { throw failure }
        return subscriptions.values.sorted { $0.parameters.id < $1.parameters.id }
    }

    public func writeSubscriptions(_ written: [SubscriptionSnapshot], deleting deleted: [SubscriptionKey]) async throws(PresentityStoreError) {
        if let failure { throw failure }
        for key in deleted { subscriptions[key] = nil }
        for subscription in written { subscriptions[subscription.key] = subscription }
        writes += 1
    }

    /// Makes later calls fail (nil: succeed again).
    public func setFailure(_ failure: PresentityStoreError?) {
        self.failure = failure
    }

    /// The stored subscription `id`.
    public func subscription(_ id: String) -> SubscriptionSnapshot? {
        subscriptions.values.first { $0.parameters.id == id }
    }

    /// Number of stored subscriptions.
    public var count: Int { subscriptions.count }
}
