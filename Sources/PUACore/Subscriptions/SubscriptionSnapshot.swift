import SIPCore

/// A subscription as the status endpoint shows it and the store keeps it: a plain value.
public struct SubscriptionSnapshot: Sendable, Equatable {
    public var parameters: SubscribeParameters
    public var state: SubscriptionMachine.State
    /// Seconds the last 2xx granted.
    public var grantedExpires: Int?
    /// When the granted lifetime ends at the notifier, seconds since 1970; nil when nothing is in force.
    public var expiresAt: Double?
    public var callID: String
    public var localTag: String
    public var remoteTag: String?
    /// CSeq of the latest SUBSCRIBE.
    public var localSequence: UInt32
    /// Route set of in-dialog requests.
    public var routeSet: [SIPNameAddress]
    /// Where in-dialog requests go.
    public var remoteTarget: SIPURI?
    /// Our Contact in this dialog.
    public var contact: SIPURI
    /// The last NOTIFY: its Subscription-State, body, and when it came (seconds since 1970); not stored.
    public var lastNotifyState: String?
    public var lastNotifyBody: [UInt8]?
    public var lastNotifyAt: Double?

    public init(
        parameters: SubscribeParameters, state: SubscriptionMachine.State, grantedExpires: Int? = nil, expiresAt: Double? = nil,
        callID: String, localTag: String, remoteTag: String? = nil, localSequence: UInt32 = 0, routeSet: [SIPNameAddress] = [],
        remoteTarget: SIPURI? = nil, contact: SIPURI, lastNotifyState: String? = nil, lastNotifyBody: [UInt8]? = nil,
        lastNotifyAt: Double? = nil
    ) {
        self.parameters = parameters
        self.state = state
        self.grantedExpires = grantedExpires
        self.expiresAt = expiresAt
        self.callID = callID
        self.localTag = localTag
        self.remoteTag = remoteTag
        self.localSequence = localSequence
        self.routeSet = routeSet
        self.remoteTarget = remoteTarget
        self.contact = contact
        self.lastNotifyState = lastNotifyState
        self.lastNotifyBody = lastNotifyBody
        self.lastNotifyAt = lastNotifyAt
    }

    /// Its row's key in the store.
    public var key: SubscriptionKey {
        SubscriptionKey(resource: parameters.resource.description, event: parameters.event, id: parameters.id, watcher: parameters.watcher.description)
    }
}
