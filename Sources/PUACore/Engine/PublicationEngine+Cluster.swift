import Logging
import Metrics

extension PublicationEngine {
    /// Makes this engine one node of a cluster sharing one store: new records carry `sharingTag`; only records
    /// whose tag is in `activeTags` (or that carry none) are refreshed here; every change this node makes at
    /// the server is passed to `announce` for the other nodes. Call before ``recover()``.
    public func joinCluster(
        node: String, sharingTag: String?, activeTags: Set<String>, announce: @escaping @Sendable (PublicationAnnouncement) -> Void
    ) {
        self.node = node
        ownSharingTag = sharingTag
        self.activeTags = activeTags
        announcer = announce
    }

    /// Whether this node refreshes and expires `record`: outside a cluster always; inside, when it holds the
    /// record's tag (or the record has none).
    func owns(_ record: PublicationRecord) -> Bool {
        guard let activeTags, let tag = record.sharingTag else { return true }
        return activeTags.contains(tag)
    }

    /// The sharing tags this node holds now (nil outside a cluster).
    public var heldTags: Set<String>? { activeTags }

    /// Publications looked up in the store or waiting to be adopted (for the status board and tests).
    public var lookupsPending: Int { lookups.count + pendingAdoptions.count }

    /// This node now holds `tag`: the records carrying it are refreshed from here. Those in the table get a
    /// refresh for what is left of their lifetime; those another node wrote are loaded from the store (with
    /// the ETag of a newer announcement, if any) and resumed, re-published when they expired; those announced
    /// but not yet written are adopted once they are.
    public func tagActivated(_ tag: String) async {
        guard activeTags != nil else { return }
        activeTags?.insert(tag)
        let now = clock(), wallNow = wallClock()
        var rearmed = 0
        for key in table.records.filter({ $0.sharingTag == tag }).map(\.key) {
            guard var record = table.remove(key) else { continue }
            let actions = record.machine.tookOver(remaining: (record.expiresAt ?? wallNow) - wallNow, now: now)
            if !actions.isEmpty {
                disarm(&record)
                rearmed += 1
            }
            execute(actions, on: &record)
            table.insert(record)
        }
        let stored: [PublicationSnapshot]
        do {
            stored = try await store.load(sharingTag: tag)
        } catch {
            logger.error("taking over a sharing tag: its publications could not be loaded", metadata: ["tag": "\(tag)", "error": "\(error)"])
            stored = []
        }
        var loaded = 0
        for snapshot in stored where table[snapshot.key] == nil && lookups[snapshot.key] == nil && activeTags?.contains(tag) == true {
            guard let adopted = adoptedRecord(from: snapshot, owned: true) else { continue }
            var record = adopted.record
            execute(adopted.actions, on: &record)
            if record.machine.state != .removed { table.insert(record) }
            loaded += 1
        }
        // Announced and not (yet) in the store: taken from the announcement.
        for (key, announcement) in announced where announcement.sharingTag == tag && table[key] == nil && lookups[key] == nil {
            adopt(announcement)
        }
        logger.info("sharing tag taken over", metadata: ["tag": "\(tag)", "rearmed": "\(rearmed)", "loaded": "\(loaded)"])
    }

    /// Another node holds `tag` now: the records carrying it are no longer refreshed here (their timers are
    /// dropped when they fire).
    public func tagDeactivated(_ tag: String) {
        guard activeTags?.remove(tag) != nil else { return }
        pendingAdoptions = pendingAdoptions.filter { announced[$0]?.sharingTag != tag }
        logger.info("sharing tag given up", metadata: ["tag": "\(tag)"])
    }

    /// Another node changed a publication at the server. A copy in the table takes the new ETag and lifetime
    /// (or is dropped, for a removal) unless a request of its own is in flight; a publication this node does
    /// not hold but whose tag it holds is adopted from the store once written there.
    public func announcementReceived(_ announcement: PublicationAnnouncement) {
        guard activeTags != nil, announcement.node != node else { return }
        if let previous = announced[announcement.key] {
            let (old, new) = (previous.version ?? 0, announcement.version ?? 0)
            // Older than what is known; or a publication of the version a removal already ended (late).
            if old > new { return }
            if case .removed = previous.change, case .published = announcement.change, old == new { return }
        }
        announced[announcement.key] = announcement
        let key = announcement.key
        guard var record = table.remove(key) else {
            pendingAdoptions.remove(key)
            if let tag = announcement.sharingTag, activeTags?.contains(tag) == true, lookups[key] == nil { adopt(announcement) }
            return
        }
        guard record.machine.requestInFlight == nil else {
            table.insert(record)  // Its reply decides; a 412 then republishes.
            return
        }
        switch announcement.change {
        case .published(let etag, let granted, let expiresAt):
            record.expiresAt = expiresAt
            record.nextVersion = max(record.nextVersion, (announcement.version ?? 0) + 1)
            disarm(&record)
            let actions = record.machine.remotePublished(
                etag: etag, granted: granted, remaining: expiresAt - wallClock(), refresh: owns(record), now: clock())
            execute(actions, on: &record)
            table.insert(record)
        case .removed:
            // Gone at the server and from the store (the other node deletes its row): forgotten here, silently.
            if let tag = record.remoteTag { dialogs[SIPDialogID(callID: record.callID, localTag: record.fromTag, remoteTag: tag)] = nil }
            disarm(&record)
            dirty.remove(key)
        }
    }

    /// Takes over a publication another node announced with a tag this node holds: from the announcement when
    /// it carries the body, else from the store once written there (looked up at each flush).
    func adopt(_ announcement: PublicationAnnouncement) {
        guard case .published = announcement.change else { return }
        guard let snapshot = announcement.snapshot, let adopted = adoptedRecord(from: snapshot, owned: true) else {
            pendingAdoptions.insert(announcement.key)
            return
        }
        var record = adopted.record
        record.sourceDigest = nil
        execute(adopted.actions, on: &record)
        if record.machine.state != .removed { table.insert(record) }
    }

    /// In a cluster, the ETag another node announced for `record` while its removal was out, if it differs from
    /// the one the removal carried and the publication is still live.
    func newerAnnouncedETag(for record: PublicationRecord) -> String? {
        guard activeTags != nil, let sent = record.machine.requestInFlight, sent.expires == 0,
              case .published(let etag, _, let expiresAt)? = announced[record.key]?.change,
              etag != sent.ifMatch, expiresAt > wallClock()
        else { return nil }
        return etag
    }

    /// Tells the other nodes about a change this node made (cluster mode).
    func announce(_ record: PublicationRecord, removed: Bool) {
        guard let announcer else { return }
        let version = record.nextVersion == 0 ? nil : record.nextVersion - 1
        if removed {
            announcer(PublicationAnnouncement(key: record.key, change: .removed, version: version, sharingTag: record.sharingTag, node: node))
        } else if let etag = record.machine.etag, let granted = record.machine.grantedExpires, let expiresAt = record.expiresAt {
            announcer(PublicationAnnouncement(
                key: record.key, change: .published(etag: etag, grantedExpires: granted, expiresAt: expiresAt), version: version,
                sharingTag: record.sharingTag, node: node, body: record.body, contentType: record.contentType, source: record.source))
        }
    }

    /// A record for an update of a key another node announced with a body in hand: its ETag and lifetime from
    /// the announcement, refreshed here only if this node holds its tag. Nil without a live announcement.
    func adoptedFromAnnouncement(_ parameters: PublishParameters) -> (record: PublicationRecord, actions: [PublicationMachine.Action])? {
        guard parameters.body != nil, let announcement = announced[parameters.key],
              case .published(let etag, let granted, let expiresAt) = announcement.change,
              expiresAt - wallClock() > 0
        else { return nil }
        var record = PublicationRecord(
            key: parameters.key, presentity: parameters.presentity,
            machine: PublicationMachine(configuration: configuration.machine, random: makeRandom()),
            contentType: parameters.contentType ?? registry.event(named: parameters.event)?.contentType ?? "",
            tupleID: Self.tupleID(of: parameters.key), callID: Self.token(prefix: "p") + "@lamplighter", fromTag: Self.tag(),
            source: parameters.source)
        record.sharingTag = announcement.sharingTag
        record.expiresAt = expiresAt
        record.nextVersion = (announcement.version ?? 0) + 1
        let actions = record.machine.remotePublished(
            etag: etag, granted: granted, remaining: expiresAt - wallClock(), refresh: owns(record), now: clock())
        return (record, actions)
    }

    /// A record for a stored publication another node wrote (with the ETag and lifetime of a newer announcement):
    /// resumed as after a restart when this node holds its tag (`owned`): refreshed, or re-published if it
    /// expired; else it takes the ETag without a timer, or none if it expired. Nil when an announcement says it
    /// was removed since, or the row cannot be read.
    func adoptedRecord(from stored: PublicationSnapshot, owned: Bool) -> (record: PublicationRecord, actions: [PublicationMachine.Action])? {
        var snapshot = stored
        if let announcement = announced[stored.key], (announcement.version ?? 0) >= (stored.version ?? 0) {
            switch announcement.change {
            case .removed:
                return nil
            case .published(let etag, let granted, let expiresAt):
                snapshot.etag = etag
                snapshot.grantedExpires = granted
                snapshot.expiresAt = expiresAt
            }
        }
        guard var record = record(restoring: snapshot), let body = record.body else { return nil }
        let remaining = (snapshot.expiresAt ?? 0) - wallClock()
        let now = clock()
        if owned {
            let actions = record.machine.resume(
                etag: snapshot.etag, granted: snapshot.grantedExpires, remaining: remaining, body: body,
                contentType: snapshot.contentType, expires: snapshot.desiredExpires, now: now)
            return (record, actions)
        }
        guard let etag = snapshot.etag, remaining > 0 else {
            record.expiresAt = nil
            return (record, [])  // Expired at the server: the update publishes it afresh (same tuple id, versions on).
        }
        let actions = record.machine.adopt(
            etag: etag, granted: snapshot.grantedExpires ?? record.machine.desiredExpires, remaining: remaining, body: body,
            contentType: snapshot.contentType, expires: snapshot.desiredExpires, refresh: false, now: now)
        return (record, actions)
    }

    /// Forgets announcements that no longer matter: removals, and publications whose lifetime ended (so the
    /// memory they take stays bounded by the live publications of the cluster).
    func pruneAnnouncements() {
        let wallNow = wallClock()
        announced = announced.filter { _, announcement in
            guard case .published(_, _, let expiresAt) = announcement.change else { return false }
            return expiresAt > wallNow
        }
    }

    // MARK: - Lookups

    /// Looks `key` up in the store (in batches, one lookup running at a time); `parameters` waits for it.
    func enqueueLookup(_ key: PublicationKey, _ parameters: PublishParameters?) {
        if lookups[key] == nil {
            lookups[key] = []
            lookupQueue.append(key)
        }
        if let parameters { lookups[key]!.append(parameters) }
        guard !lookupRunning else { return }
        lookupRunning = true
        Task { await self.runLookups() }
    }

    /// Asks the store again for the announced publications not yet adopted (those expired meanwhile are dropped).
    func lookUpPendingAdoptions() {
        let wallNow = wallClock()
        for key in pendingAdoptions {
            guard table[key] == nil, case .published(_, _, let expiresAt)? = announced[key]?.change, expiresAt > wallNow else {
                pendingAdoptions.remove(key)
                continue
            }
            if lookups[key] == nil { enqueueLookup(key, nil) }
        }
    }

    func runLookups() async {
        while !lookupQueue.isEmpty {
            let batch = Array(lookupQueue.prefix(1000))
            lookupQueue.removeFirst(batch.count)
            var found: [PublicationKey: PublicationSnapshot] = [:]
            do {
                for snapshot in try await store.load(keys: batch) { found[snapshot.key] = snapshot }
            } catch {
                Counter(label: "lamplighter_cluster_lookup_errors_total").increment()
                logger.error("looking publications up in the store failed; updates go out as new publications", metadata: [
                    "error": "\(error)", "publications": "\(batch.count)",
                ])
            }
            for key in batch { lookupFinished(key, found[key]) }
        }
        lookupRunning = false
    }

    /// The store answered for `key`: the waiting updates are applied in order, to the stored publication if
    /// there is one; without updates, an announced publication whose tag this node holds is adopted.
    func lookupFinished(_ key: PublicationKey, _ stored: PublicationSnapshot?) {
        let waiting = lookups.removeValue(forKey: key) ?? []
        var adopted: (record: PublicationRecord, actions: [PublicationMachine.Action])?
        if table[key] == nil, let stored {
            let owned = stored.sharingTag.map { activeTags?.contains($0) ?? true } ?? true
            adopted = adoptedRecord(from: stored, owned: owned && waiting.isEmpty)
        }
        if waiting.isEmpty {
            guard var record = adopted?.record, let actions = adopted?.actions else { return }
            pendingAdoptions.remove(key)
            execute(actions, on: &record)
            if record.machine.state != .removed { table.insert(record) }
            return
        }
        for (index, parameters) in waiting.enumerated() {
            do {
                try apply(parameters, adopting: index == 0 ? adopted : nil)
            } catch {
                metrics.refused.increment()
                logger.warning("publication refused", metadata: ["publication": "\(key)", "error": "\(error)"])
            }
        }
        // Now in the table: if this node holds its tag, it refreshes it.
        if let record = table[key], owns(record) { pendingAdoptions.remove(key) }
    }
}
