import PUACore

extension RegistrationAdapter {
    /// The feed-state table of this adapter: one entry per AOR (contacts and order stamps).
    public static let stateTable = "registrations"

    /// The AORs changed since the last call: entries to write and keys to delete (AORs with nothing left).
    public mutating func takeStateChanges() -> (write: [FeedStateRecord], delete: [FeedStateKey]) {
        var write: [FeedStateRecord] = []
        var delete: [FeedStateKey] = []
        for key in changed.sorted() {
            if let record = aors[key], !record.contacts.isEmpty || !record.stamps.isEmpty {
                write.append(FeedStateRecord(feed: Self.stateTable, key: key, state: FeedStateCodec.encode(record)))
            } else {
                delete.append(FeedStateKey(feed: Self.stateTable, key: key))
            }
        }
        changed.removeAll()
        return (write, delete)
    }

    /// Puts back one stored AOR.
    public mutating func restore(_ record: FeedStateRecord) throws(FeedStateError) {
        let aor = try FeedStateCodec.decode(AOR.self, record)
        guard aor.uri.description == record.key else {
            throw FeedStateError(feed: record.feed, key: record.key, context: "the entry is for \(aor.uri)")
        }
        aors[record.key] = aor
    }

    /// After restoring: each AOR's contacts that expired meanwhile are dropped and its document is published
    /// again (the engine sends nothing when it equals the publication it recovered), with its expiry check.
    public mutating func resume(now: Double) -> [FeedAction] {
        var actions: [FeedAction] = []
        for key in aors.keys.sorted() {
            guard var record = aors[key] else { continue }
            let before = record
            purge(&record, now: now)
            aors[key] = record
            if record != before { changed.insert(key) }
            actions += publish(record, now: now)
        }
        return actions
    }
}
