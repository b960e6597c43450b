import PUACore

extension DialogAdapter {
    /// The feed-state table of dialogs: one entry per dialog, live or ended (a tombstone).
    public static let dialogStateTable = "dialogs"
    /// The feed-state table of presentities: their dialogs and where their publication stands.
    public static let presentityStateTable = "dialog-presentities"

    /// A stored dialog: live, or only the time it ended (so late events for it stay dropped).
    struct StoredDialog: Codable {
        var dialog: Dialog?
        var endedAt: Double?
    }

    /// Dialogs and presentities changed since the last call: entries to write and keys to delete.
    public mutating func takeStateChanges() -> (write: [FeedStateRecord], delete: [FeedStateKey]) {
        var write: [FeedStateRecord] = []
        var delete: [FeedStateKey] = []
        for key in changedDialogs.sorted() {
            if let dialog = dialogs[key] {
                write.append(FeedStateRecord(feed: Self.dialogStateTable, key: key, state: FeedStateCodec.encode(StoredDialog(dialog: dialog))))
            } else if let at = tombstones[key] {
                write.append(FeedStateRecord(feed: Self.dialogStateTable, key: key, state: FeedStateCodec.encode(StoredDialog(endedAt: at))))
            } else {
                delete.append(FeedStateKey(feed: Self.dialogStateTable, key: key))
            }
        }
        for key in changedPresentities.sorted() {
            if let presentity = presentities[key] {
                write.append(FeedStateRecord(feed: Self.presentityStateTable, key: key, state: FeedStateCodec.encode(presentity)))
            } else {
                delete.append(FeedStateKey(feed: Self.presentityStateTable, key: key))
            }
        }
        changedDialogs.removeAll()
        changedPresentities.removeAll()
        return (write, delete)
    }

    /// Puts back one stored dialog or presentity.
    public mutating func restore(_ record: FeedStateRecord) throws(FeedStateError) {
        switch record.feed {
        case Self.dialogStateTable:
            let stored = try FeedStateCodec.decode(StoredDialog.self, record)
            if let dialog = stored.dialog, dialog.event.key == record.key {
                dialogs[record.key] = dialog
            } else if stored.dialog == nil, let at = stored.endedAt {
                tombstones[record.key] = at
            } else {
                throw FeedStateError(feed: record.feed, key: record.key, context: "neither a dialog of this key nor a tombstone")
            }
        case Self.presentityStateTable:
            let presentity = try FeedStateCodec.decode(Presentity.self, record)
            guard Self.key(event: presentity.event, presentity.uri) == record.key else {
                throw FeedStateError(feed: record.feed, key: record.key, context: "the entry is for \(presentity.event) \(presentity.uri)")
            }
            presentities[record.key] = presentity
        default:
            throw FeedStateError(feed: record.feed, key: record.key, context: "not a dialog adapter table")
        }
    }

    /// After restoring: every presentity with dialogs publishes its document again (the engine sends nothing
    /// when it equals the recovered publication) and re-arms the watchdog of its unanswered dialogs; presentities without dialogs re-arm
    /// their idle and removal steps. Dialogs no presentity refers to any more are dropped.
    public mutating func resume(now: Double) -> [FeedAction] {
        var actions: [FeedAction] = []
        var referenced: Set<String> = []
        for key in presentities.keys.sorted() {
            guard var presentity = presentities[key] else { continue }
            let missing = presentity.dialogs.filter { dialogs[$0] == nil }
            if !missing.isEmpty {
                presentity.dialogs.subtract(missing)
                presentities[key] = presentity
                changedPresentities.insert(key)
            }
            referenced.formUnion(presentity.dialogs)
            if presentity.dialogs.isEmpty {
                switch presentity.phase {
                case .active, .terminatedSent:
                    let at = if case .terminatedSent(let at) = presentity.phase { at } else { now }
                    actions.append(.scheduleCheck(key: key, at: at + options.idleAfter))
                case .idleSent(let at):
                    actions.append(.scheduleCheck(key: key, at: at + options.removeIdleAfter))
                }
                if case .active = presentity.phase {
                    presentities[key]?.phase = .terminatedSent(now)
                    changedPresentities.insert(key)
                }
                continue
            }
            actions.append(.publish(parameters(for: presentity, body: document(for: presentity, now: now), expires: lifetime)))
            let watchdog = presentity.dialogs.compactMap { dialogs[$0] }
                .filter { [.trying, .proceeding, .early].contains($0.event.state) }
                .map { $0.updatedAt + options.stuckAfter }.min()
            if let watchdog { actions.append(.scheduleCheck(key: key, at: max(watchdog, now))) }
        }
        for key in dialogs.keys where !referenced.contains(key) {
            dialogs[key] = nil
            changedDialogs.insert(key)
        }
        return actions
    }
}
