import PresenceDocuments
import SIPCore

/// What a subscription's callbacks hear.
public enum SubscriptionEvent: Sendable, Equatable {
    /// A NOTIFY arrived (answered 200): its Subscription-State, body and content type.
    case notified(id: String, state: SIPSubscriptionState, body: [UInt8], contentType: String?)
    /// The subscription's state changed.
    case stateChanged(id: String, SubscriptionMachine.State)
    /// It ended.
    case terminated(id: String, SubscriptionEnd)
    /// A `*.winfo` subscription's watchers after a NOTIFY (RFC 3858, full and partial states merged), by resource
    /// and package.
    case watchers(id: String, resource: String, package: String, [WatcherInfoDocument.Watcher])
}
