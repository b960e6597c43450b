import ServiceLifecycle

extension PublicationEngine: Service {
    /// Fires due timers every `timerResolution` and flushes changed records every `flushInterval`, until
    /// cancelled or a graceful shutdown; then flushes once more so the store holds the final state.
    public func run() async throws {
        lastFlush = clock()
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.tick()
                try await Task.sleep(for: self.configuration.timerResolution)
            }
        }
        await flush()
    }

    /// One pass of the run loop: due timers, and a flush when one is due.
    private func tick() async {
        let now = clock()
        fireDueTimers(now: now)
        guard now - lastFlush >= configuration.flushInterval else { return }
        lastFlush = now
        lookUpPendingAdoptions()
        if now - lastPrune >= .seconds(60) {
            lastPrune = now
            pruneAnnouncements()
        }
        await flush()
    }

    /// Fires every timer due at `now` (stale ones, whose record has re-armed or gone, are dropped). ``run()``
    /// calls this; tests call it with a later instant instead of waiting.
    public func fireDueTimers(now: ContinuousClock.Instant) {
        while let entry = timers.popDue(now: now) {
            guard var record = table.remove(entry.key) else { continue }
            defer { if record.machine.state != .removed { table.insert(record) } }
            guard let armed = record.timer, armed.generation == entry.generation else { continue }
            disarm(&record)
            // In a cluster only the holder of the record's tag refreshes it (re-armed when the tag is taken over).
            if armed.isRefresh, !owns(record) { continue }
            let actions = record.machine.timerFired(generation: entry.generation, now: now)
            execute(actions, on: &record)
        }
        compactTimersIfNeeded()
    }

    /// Rebuilds the heap from the records' armed timers once stale entries outnumber live records.
    /// Every PUBLISH re-arms its record and leaves the old heap entry stale; the heap is rebuilt from the live
    /// timers once stale entries reach a quarter of the table. The rebuilt array is reserved for that bound,
    /// so it never grows (reallocates) between rebuilds: rebuilt only at twice the table, it doubled to about
    /// 2.6 entries per record (19 MB at 100,000) every few minutes, and the freed blocks fragmented the heap
    /// (a soak's RSS crept by about 1 MB a minute at 250 events/s).
    func compactTimersIfNeeded() {
        let bound = table.count + table.count / 4 + 4096
        guard timers.count > bound else { return }
        var live: [TimerHeap.Entry] = []
        live.reserveCapacity(bound + 1)
        for record in table.records {
            if let timer = record.timer { live.append(TimerHeap.Entry(at: timer.at, key: record.key, generation: timer.generation)) }
        }
        timers.rebuild(from: live)
    }

    /// The earliest armed timer (live or stale), for tests and the status board.
    public var nextTimer: ContinuousClock.Instant? { timers.first?.at }
}
