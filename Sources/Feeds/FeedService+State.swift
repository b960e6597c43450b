import Logging
import Metrics
import PUACore

extension FeedService {
    /// Loads the adapters' stored state and resumes it: contacts that expired while the daemon was down are
    /// dropped, every presentity's document is published again (the engine sends nothing where it equals the
    /// recovered publication) and the expiry, watchdog and idle checks are re-armed. Call after the engine
    /// recovered its publications and before the feeds start. Entries that cannot be read are skipped, logged
    /// and counted; a store that cannot be read leaves the adapters empty and is reported.
    @discardableResult
    public func restoreState() async -> (restored: Int, rejected: Int) {
        guard let stateStore else { return (0, 0) }
        let records: [FeedStateRecord]
        do {
            records = try await stateStore.loadFeedState()
        } catch {
            logger.error("feed state could not be loaded; starting with empty adapters", metadata: ["error": "\(error)"])
            return (0, 0)
        }
        var restored = 0
        var rejected = 0
        for record in records {
            do throws(FeedStateError) {
                switch record.feed {
                case RegistrationAdapter.stateTable: try registrations.restore(record)
                case DialogAdapter.dialogStateTable, DialogAdapter.presentityStateTable: try dialogs.restore(record)
                case MessageSummaryAdapter.stateTable: try voicemail.restore(record)
                default: throw FeedStateError(feed: record.feed, key: record.key, context: "no adapter keeps this table")
                }
                restored += 1
            } catch {
                rejected += 1
                Counter(label: "lamplighter_feed_state_rejected_total", dimensions: [("table", record.feed)]).increment()
                logger.warning("stored feed state skipped", metadata: ["table": "\(record.feed)", "key": "\(record.key)", "error": "\(error.context)"])
            }
        }
        let now = clock()
        await execute(registrations.resume(now: now), feed: .registrations)
        await execute(dialogs.resume(now: now), feed: .dialogs)
        logger.info("feed state restored", metadata: ["entries": "\(restored)", "skipped": "\(rejected)"])
        return (restored, rejected)
    }

    /// Writes the adapter state changed since the last flush; on success releases the acknowledgements of the
    /// stream entries applied before it. On failure the entries stay for the next flush and the
    /// acknowledgements stay held (unacknowledged entries are delivered again after a restart). Without a
    /// state store, acknowledgements are released at once. Returns whether everything is written.
    @discardableResult
    public func flushState() async -> Bool {
        guard let stateStore else {
            releaseAcknowledgements()
            return true
        }
        while isFlushingState { try? await Task.sleep(for: .milliseconds(5)) }
        isFlushingState = true
        defer { isFlushingState = false }
        collectStateChanges()
        let releasing = heldAcknowledgements
        let (write, delete) = unwrittenState
        guard !write.isEmpty || !delete.isEmpty else {
            releaseAcknowledgements()
            return true
        }
        unwrittenState = ([:], [])
        let start = ContinuousClock.now
        do {
            try await stateStore.writeFeedState(write.values.sorted { $0.id < $1.id }, deleting: delete.sorted())
        } catch {
            // Newer changes collected meanwhile win over the failed ones.
            for (key, record) in write where unwrittenState.write[key] == nil && !unwrittenState.delete.contains(key) {
                unwrittenState.write[key] = record
            }
            for key in delete where unwrittenState.write[key] == nil { unwrittenState.delete.insert(key) }
            Counter(label: "lamplighter_feed_state_write_errors_total").increment()
            logger.error("feed state could not be written; kept for the next flush", metadata: [
                "error": "\(error)", "entries": "\(write.count + delete.count)",
            ])
            return false
        }
        Timer(label: "lamplighter_feed_state_flush_seconds").record(duration: ContinuousClock.now - start)
        heldAcknowledgements.removeFirst(min(releasing.count, heldAcknowledgements.count))
        for acknowledge in releasing { acknowledge() }
        return true
    }

    /// Entries changed and not yet written (for the status board).
    public var unwrittenStateCount: Int {
        unwrittenState.write.count + unwrittenState.delete.count + registrations.changed.count + dialogs.changedDialogs.count
            + dialogs.changedPresentities.count + voicemail.changed.count
    }

    /// Holds `acknowledge` until the state it produced is stored (released at once without a state store).
    func acknowledgeWhenStored(_ acknowledge: @escaping @Sendable () -> Void) {
        if stateStore == nil {
            acknowledge()
        } else {
            heldAcknowledgements.append(acknowledge)
        }
    }

    private func releaseAcknowledgements() {
        let releasing = heldAcknowledgements
        heldAcknowledgements.removeAll()
        for acknowledge in releasing { acknowledge() }
    }

    /// Moves the adapters' changes into `unwrittenState` (the latest of a key wins).
    private func collectStateChanges() {
        let changes = [registrations.takeStateChanges(), dialogs.takeStateChanges(), voicemail.takeStateChanges()]
        for change in changes {
            for record in change.write {
                unwrittenState.delete.remove(record.id)
                unwrittenState.write[record.id] = record
            }
            for key in change.delete {
                unwrittenState.write[key] = nil
                unwrittenState.delete.insert(key)
            }
        }
    }
}
