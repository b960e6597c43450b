import PUACore
import PresenceDocuments

/// Voicemail counts to message-summary (RFC 3842) publications, one per mailbox; stale counts are dropped.
public struct MessageSummaryAdapter: Sendable {
    public let lifetime: Int
    var orders: [String: EventOrder] = [:]
    /// Mailboxes changed since their state was last taken for the store.
    var changed: Set<String> = []

    public init(lifetime: Int = 3600) {
        self.lifetime = lifetime
    }

    public mutating func eventReceived(_ event: MessageSummaryEvent) -> [FeedAction] {
        let key = event.aor.description
        if let last = orders[key], event.order.isOlder(than: last) { return [.dropStale(key: key)] }
        orders[key] = event.order.merged(with: orders[key] ?? EventOrder())
        changed.insert(key)
        let document = MessageSummaryDocument(
            account: key, newMessages: event.newMessages, oldMessages: event.oldMessages, urgentNew: event.urgentNew,
            urgentOld: event.urgentOld)
        return [.publish(PublishParameters(
            presentity: event.aor, event: "message-summary", body: Array(document.text().utf8),
            contentType: MessageSummaryDocument.contentType, expires: lifetime, source: .voicemail))]
    }
}
