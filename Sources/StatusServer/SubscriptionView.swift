import Foundation
import PUACore

/// A subscription as `GET /subscriptions` and `GET /subscriptions/{id}` show it.
public struct SubscriptionView: Sendable, Equatable, Codable {
    public var id: String
    public var resource: String
    public var watcher: String
    public var event: String
    /// `idle`, `establishing`, `pending`, `active`, `terminating`.
    public var state: String
    public var grantedExpires: Int?
    /// When the granted lifetime ends at the notifier (seconds since 1970).
    public var expiresAt: Double?
    public var callID: String
    public var localTag: String
    public var remoteTag: String?
    /// CSeq of the latest SUBSCRIBE.
    public var cseq: UInt32
    public var remoteTarget: String?
    public var source: String
    /// The last NOTIFY's Subscription-State and time (seconds since 1970).
    public var lastNotifyState: String?
    public var lastNotifyAt: Double?
    /// The last NOTIFY's body (only in the single view).
    public var lastNotifyBody: String?

    public init(_ snapshot: SubscriptionSnapshot, includeBody: Bool) {
        id = snapshot.parameters.id
        resource = snapshot.parameters.resource.description
        watcher = snapshot.parameters.watcher.description
        event = snapshot.parameters.event
        state = "\(snapshot.state)"
        grantedExpires = snapshot.grantedExpires
        expiresAt = snapshot.expiresAt
        cseq = snapshot.localSequence
        callID = snapshot.callID
        localTag = snapshot.localTag
        remoteTag = snapshot.remoteTag
        remoteTarget = snapshot.remoteTarget?.description
        source = snapshot.parameters.source.rawValue
        lastNotifyState = snapshot.lastNotifyState
        lastNotifyAt = snapshot.lastNotifyAt
        lastNotifyBody = includeBody ? snapshot.lastNotifyBody.map { String(decoding: $0, as: UTF8.self) } : nil
    }
}

/// A page of `GET /subscriptions`.
public struct SubscriptionPage: Sendable, Equatable, Codable {
    public var total: Int
    public var offset: Int
    public var limit: Int
    public var subscriptions: [SubscriptionView]
}
