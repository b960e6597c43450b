import PUACore

extension MessageSummaryAdapter {
    /// The feed-state table of this adapter: the last applied event order per mailbox.
    public static let stateTable = "mwi"

    /// Mailboxes changed since the last call, as entries to write.
    public mutating func takeStateChanges() -> (write: [FeedStateRecord], delete: [FeedStateKey]) {
        let write = changed.sorted().compactMap { key in
            orders[key].map { FeedStateRecord(feed: Self.stateTable, key: key, state: FeedStateCodec.encode($0)) }
        }
        changed.removeAll()
        return (write, [])
    }

    /// Puts back one mailbox's order (its publication itself is recovered by the engine).
    public mutating func restore(_ record: FeedStateRecord) throws(FeedStateError) {
        orders[record.key] = try FeedStateCodec.decode(EventOrder.self, record)
    }
}
