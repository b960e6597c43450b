import Logging
import Metrics

extension SubscriptionEngine {
    /// Writes the subscriptions changed since the last flush and deletes the rows of ended ones. A failed write
    /// keeps them marked for the next flush (newer changes meanwhile are kept too).
    public func flush() async {
        guard !dirty.isEmpty || !ended.isEmpty else { return }
        let ids = dirty
        let deleting = ended
        dirty.removeAll()
        ended.removeAll()
        let written = ids.sorted().compactMap { records[$0]?.snapshot }
        let writtenKeys = Set(written.map(\.key))
        do {
            try await store.writeSubscriptions(written, deleting: deleting.filter { !writtenKeys.contains($0) }.sorted { $0.id < $1.id })
        } catch {
            Counter(label: "lamplighter_store_errors_total", dimensions: [("table", "subscriptions")]).increment()
            logger.error("writing subscriptions to the store failed", metadata: ["error": "\(error)", "subscriptions": "\(ids.count + deleting.count)"])
            for id in ids where records[id] != nil { dirty.insert(id) }
            // A key running again meanwhile is written by its record, not deleted.
            let running = Set(records.values.map(\.snapshot.key))
            for key in deleting where !running.contains(key) { ended.insert(key) }
        }
    }

    /// Subscriptions changed or ended and not yet written.
    public var unflushedCount: Int { dirty.count + ended.count }

    /// Takes up the stored subscriptions (before NOTIFYs are handled): one still in force keeps its dialog
    /// (Call-ID, tags, CSeq, route set, remote target) and is refreshed in it when due; the others subscribe
    /// again in a new dialog. Returns how many kept their dialog and how many started over.
    @discardableResult
    public func recover() async throws(PresentityStoreError) -> (resumed: Int, resubscribed: Int) {
        let stored = try await store.loadSubscriptions()
        let now = clock(), wall = wallClock()
        var resumed = 0, resubscribed = 0
        for subscription in stored where records[subscription.parameters.id] == nil {
            var record = Record(
                parameters: subscription.parameters,
                machine: SubscriptionMachine(configuration: configuration, expires: subscription.parameters.expires),
                dialog: SubscriptionDialog(restoring: subscription, contact: contact))
            let remaining = subscription.remoteTag == nil ? nil : subscription.expiresAt.map { Int(($0 - wall).rounded(.down)) }
            record.expiresAt = subscription.expiresAt
            byCallID[record.dialog.callID] = subscription.parameters.id
            let actions = record.machine.resume(
                stored: subscription.state, grantedExpires: subscription.grantedExpires, remaining: remaining,
                contactChanged: subscription.contact != contact, now: now)
            if actions.first == .resetDialog { resubscribed += 1 } else { resumed += 1 }
            execute(actions, on: &record)
            store(record)
        }
        logger.info("subscriptions recovered", metadata: ["resumed": "\(resumed)", "resubscribed": "\(resubscribed)"])
        return (resumed, resubscribed)
    }
}
