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
    func compactTimersIfNeeded() {
        guard timers.count > 2 * table.count + 4096 else { return }
        var live: [TimerHeap.Entry] = []
        live.reserveCapacity(table.count)
        for record in table.records {
            if let timer = record.timer { live.append(TimerHeap.Entry(at: timer.at, key: record.key, generation: timer.generation)) }
        }
        timers.rebuild(from: live)
    }

    /// The earliest armed timer (live or stale), for tests and the status board.
    public var nextTimer: ContinuousClock.Instant? { timers.first?.at }
}
