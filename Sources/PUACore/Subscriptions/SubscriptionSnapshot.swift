import SIPCore

/// A subscription as the status endpoint shows it: a plain value.
public struct SubscriptionSnapshot: Sendable, Equatable {
    public var parameters: SubscribeParameters
    public var state: SubscriptionMachine.State
    /// Seconds the last 2xx granted.
    public var grantedExpires: Int?
    public var callID: String
    public var localTag: String
    public var remoteTag: String?
    /// Where in-dialog requests go.
    public var remoteTarget: SIPURI?
    /// The last NOTIFY: its Subscription-State, body, and when it came (seconds since 1970).
    public var lastNotifyState: String?
    public var lastNotifyBody: [UInt8]?
    public var lastNotifyAt: Double?
}
