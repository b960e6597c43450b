import Logging

extension PublicationEngine {
    /// Writes records changed since the last flush to the store, in batches, deletions first. A failed batch
    /// stays marked and is written at the next flush; nothing in the table is touched.
    public func flush() async {
        guard !dirty.isEmpty || !forgotten.isEmpty else { return }
        var failure: PresentityStoreError?
        let started = clock()
        let records = dirty.count + forgotten.count
        defer {
            let took = clock() - started
            metrics.flushDuration.recordNanoseconds(Int64(took.components.seconds) * 1_000_000_000 + took.components.attoseconds / 1_000_000_000)
            metrics.flushRecords.record(records)
            lastWrite = (wallClock(), Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18, records, failure == nil)
            if let failure {
                storeObserver(false, "publishing from memory; \(unflushedCount) changes wait: \(failure)")
            } else {
                storeObserver(true, "written")
            }
        }
        let deleting = Array(forgotten)
        forgotten.removeAll()
        let keys = Array(dirty)
        dirty.removeAll()
        let batchSize = max(1, configuration.flushBatchSize)
        for start in stride(from: 0, to: deleting.count, by: batchSize) {
            let batch = Array(deleting[start..<min(start + batchSize, deleting.count)])
            do {
                try await store.delete(batch)
            } catch {
                failure = error
                storeFailed(error, batch: batch.count)
                // Keys re-created meanwhile are upserted after this; the rest are deleted next time.
                for key in batch where table[key] == nil { forgotten.insert(key) }
            }
        }
        for start in stride(from: 0, to: keys.count, by: batchSize) {
            let batch = keys[start..<min(start + batchSize, keys.count)].compactMap { table[$0]?.snapshot }
            guard !batch.isEmpty else { continue }
            do {
                try await store.upsert(batch)
            } catch {
                failure = error
                storeFailed(error, batch: batch.count)
                for snapshot in batch where table[snapshot.key] != nil { dirty.insert(snapshot.key) }
            }
        }
    }

    /// Records changed and not yet written.
    public var unflushedCount: Int { dirty.count + forgotten.count }

    private func storeFailed(_ error: PresentityStoreError, batch: Int) {
        metrics.storeErrors.increment()
        logger.error("writing publications to the store failed", metadata: ["error": "\(error)", "batch": "\(batch)"])
    }
}
