import Logging
import SIPCore
import SIPStack

extension PublicationEngine {
    /// Makes the presence server hold `parameters` (the seed's `send_publish`).
    ///
    /// A new key needs a body; `expires: 0` removes the publication (a no-op for an unknown key). A body equal
    /// to the one last given is not sent again. The PUBLISH goes out now unless one is in flight for this
    /// publication: then the update waits and the latest one wins. Replies reach the callbacks.
    ///
    /// In a cluster, an update for a publication this node does not hold is applied to the one another node
    /// made: taken from that node's announcement when it brings a body, else looked up in the store first
    /// (the update then waits, in order with later ones for the same key).
    public func sendPublish(_ parameters: PublishParameters) throws(PublishRequestError) {
        do {
            if activeTags != nil, table[parameters.key] == nil {
                _ = try validated(parameters)
                if lookups[parameters.key] != nil {
                    lookups[parameters.key]!.append(parameters)
                    return
                }
                guard let adopted = adoptedFromAnnouncement(parameters) else {
                    enqueueLookup(parameters.key, parameters)
                    return
                }
                try apply(parameters, adopting: adopted)
                return
            }
            try apply(parameters)
        } catch {
            metrics.refused.increment()
            logger.warning("publication refused", metadata: ["publication": "\(parameters.key)", "error": "\(error)"])
            throw error
        }
    }

    /// The event of `parameters`, after the checks that need no record (event, header fields, body size).
    func validated(_ parameters: PublishParameters) throws(PublishRequestError) -> PresenceEvent {
        let key = parameters.key
        guard let event = registry.event(named: parameters.event) else {
            throw PublishRequestError(code: .unknownEvent, context: "\(key): event \"\(parameters.event)\" is not registered")
        }
        guard event.canPublish else {
            throw PublishRequestError(code: .eventNotPublishable, context: "\(key): event \"\(event.name)\" is subscribe-only")
        }
        for field in parameters.extraHeaders {
            if let problem = PublishMessage.problem(with: field) {
                throw PublishRequestError(code: .invalidHeader, context: "\(key): \(problem)")
            }
        }
        if let body = parameters.body, body.count > PresenceEvent.maximumBodySize {
            throw PublishRequestError(
                code: .invalidBody, context: "\(key): body of \(body.count) bytes exceeds \(PresenceEvent.maximumBodySize)")
        }
        return event
    }

    /// Applies an update; `adopting` is a record (and the actions that set it up) taken from another node's
    /// work, used instead of a new one when the table does not hold the key.
    func apply(
        _ parameters: PublishParameters, adopting: (record: PublicationRecord, actions: [PublicationMachine.Action])? = nil
    ) throws(PublishRequestError) {
        let key = parameters.key
        let event = try validated(parameters)

        // Everything that can fail is decided before the table changes.
        let fresh: PublicationRecord?
        let current: PublicationRecord
        if let existing = table[key] {
            fresh = nil
            current = existing
        } else if let adopting {
            fresh = adopting.record
            current = adopting.record
        } else {
            if parameters.expires == 0 { return }  // Nothing published, nothing to remove.
            guard parameters.body != nil else {
                throw PublishRequestError(code: .missingBody, context: "\(key): a new publication needs a body")
            }
            guard table.count < configuration.maxPublications else {
                throw PublishRequestError(code: .tableFull, context: "\(key): the table holds \(table.count) publications")
            }
            current = PublicationRecord(
                key: key, presentity: parameters.presentity,
                machine: PublicationMachine(configuration: configuration.machine, random: makeRandom()),
                contentType: parameters.contentType ?? event.contentType, tupleID: Self.tupleID(of: key),
                callID: Self.token(prefix: "p") + "@lamplighter", fromTag: Self.tag(), source: parameters.source)
            fresh = current
        }
        var newBody: (source: BodyDigest, processed: [UInt8], contentType: String)?
        if let body = parameters.body {
            let contentType = parameters.contentType ?? event.contentType
            let digest = BodyDigest(of: body)
            if digest != current.sourceDigest || contentType != current.contentType || current.body == nil {
                do {
                    let processed = try event.process(BodyContext(body: body, version: current.nextVersion, tupleID: current.tupleID))
                    newBody = (digest, processed, contentType)
                } catch {
                    throw PublishRequestError(code: .invalidBody, context: "\(key): \(error.code): \(error.context)")
                }
            }
        }

        var record = fresh ?? table.remove(key)!
        defer { if record.machine.state != .removed { table.insert(record) } }
        if let adopting, fresh != nil { execute(adopting.actions, on: &record) }
        if let newBody {
            record.nextVersion += 1
            record.sourceDigest = newBody.source
            record.body = newBody.processed
            record.contentType = newBody.contentType
        }
        if parameters.expires != 0 { record.desiredExpires = parameters.expires }
        record.source = parameters.source
        // A record keeps its tag (whose holder refreshes it) unless the update names one; a new one gets the node's.
        if let tag = parameters.sharingTag {
            record.sharingTag = tag
        } else if fresh != nil, record.sharingTag == nil {
            record.sharingTag = ownSharingTag
        }
        record.extraHeaders = parameters.extraHeaders
        record.outboundProxy = parameters.outboundProxy
        guard let body = record.body else { preconditionFailure("a record in the table always has a body") }

        let actions = record.machine.update(body: body, contentType: record.contentType, expires: parameters.expires, now: clock())
        if actions.isEmpty, record.machine.requestInFlight != nil {
            record.hasPendingUpdate = true
        }
        // An update that goes out (now or after the request in flight) starts the latency clock, once.
        if record.updatePendingSince == nil, record.hasPendingUpdate || actions.contains(where: { if case .sendPublish = $0 { true } else { false } }) {
            record.updatePendingSince = clock()
        }
        dirty.insert(key)
        execute(actions, on: &record)
    }

    /// The outcome of the transaction started for `key` with `serial`; late outcomes of older requests are dropped.
    func outcomeReceived(_ key: PublicationKey, serial: UInt64, _ result: Result<SIPResponse, SIPTransactionError>) {
        transactionsInFlight -= 1
        guard var record = table.remove(key) else { return }
        defer { if record.machine.state != .removed { table.insert(record) } }
        guard record.sendSerial == serial, record.machine.requestInFlight != nil else { return }
        let now = clock()
        let actions: [PublicationMachine.Action]
        switch result {
        case .success(let response):
            countReply(String(response.statusCode))
            if (200..<300).contains(response.statusCode), let since = record.updatePendingSince, record.hasPendingUpdate == false {
                metrics.updateLatency.recordNanoseconds(Int64((now - since).components.seconds) * 1_000_000_000 + (now - since).components.attoseconds / 1_000_000_000)
                record.updatePendingSince = nil
            }
            record.lastReply = PublicationReply(statusCode: response.statusCode, reason: response.reason, receivedAt: wallClock())
            if let tag = response.headers.to?.tag { setRemoteTag(tag, of: &record) }
            if response.statusCode == 412, let newer = newerAnnouncedETag(for: record) {
                // A removal raced another node's refresh (cluster): it goes again with the ETag that node announced.
                actions = record.machine.removalRefused(newerETag: newer)
            } else {
                actions = record.machine.replyReceived(PublishMessage.reply(response), now: now)
            }
        case .failure(let error) where error.code == .authenticationFailed:
            countReply("401")
            // The stack answered the challenge and the server refused the credentials: final, like a 401.
            record.lastReply = PublicationReply(statusCode: 401, reason: "authentication failed: \(error.context)", receivedAt: wallClock())
            actions = record.machine.replyReceived(PublishReply(statusCode: 401), now: now)
        case .failure(let error):
            countReply("\(error.code)")
            record.lastReply = PublicationReply(statusCode: nil, reason: "\(error.code): \(error.context)", receivedAt: wallClock())
            actions = record.machine.transactionFailed(now: now)
        }
        dirty.insert(key)
        execute(actions, on: &record)
    }

    /// Runs the machine's actions for `record` (which the caller puts back into the table unless forgotten).
    func execute(_ actions: [PublicationMachine.Action], on record: inout PublicationRecord) {
        for action in actions {
            switch action {
            case .sendPublish(let request):
                start(request, on: &record)
            case .scheduleTimer(let at, let generation):
                disarm(&record)
                record.timer = (at, generation, false)
                timers.push(TimerHeap.Entry(at: at, key: record.key, generation: generation))
            case .scheduleRefresh(let earliest, let latest, let generation):
                disarm(&record)
                let at = spreader.place(earliest: earliest, latest: latest, using: &random)
                record.timer = (at, generation, true)
                timers.push(TimerHeap.Entry(at: at, key: record.key, generation: generation))
            case .reportPublished:
                metrics.published.increment()
                if let granted = record.machine.grantedExpires { record.expiresAt = wallClock() + Double(granted) }
                announce(record, removed: false)
                callbacks.notify(record.snapshot, .published(statusCode: record.lastReply?.statusCode ?? 200))
            case .reportFailure(let failure):
                metrics.failed.increment()
                if failure.willRetry { metrics.retries.increment() }
                logger.info("publication failed", metadata: [
                    "publication": "\(record.key)", "failure": "\(failure.code)",
                    "status": "\(failure.statusCode.map(String.init) ?? "none")", "retry": "\(failure.willRetry)",
                ])
                callbacks.notify(record.snapshot, .failed(failure))
            case .forget:
                metrics.removed.increment()
                announce(record, removed: true)
                if let tag = record.remoteTag { dialogs[SIPDialogID(callID: record.callID, localTag: record.fromTag, remoteTag: tag)] = nil }
                record.expiresAt = nil
                disarm(&record)
                dirty.remove(record.key)
                forgotten.insert(record.key)
                callbacks.notify(record.snapshot, .removed)
            }
        }
    }

    /// Counts a final reply (by code) or a transaction failure (by kind).
    func countReply(_ code: String) {
        replyCounts[code, default: 0] += 1
        metrics.reply(code)
    }

    /// Records the server's tag and indexes the record's dialog for ``isDialog(_:)``.
    func setRemoteTag(_ tag: String, of record: inout PublicationRecord) {
        guard record.remoteTag != tag else { return }
        if let old = record.remoteTag { dialogs[SIPDialogID(callID: record.callID, localTag: record.fromTag, remoteTag: old)] = nil }
        record.remoteTag = tag
        dialogs[SIPDialogID(callID: record.callID, localTag: record.fromTag, remoteTag: tag)] = record.key
    }

    /// Forgets the record's armed timer (its heap entry becomes stale) and gives its refresh slot back.
    func disarm(_ record: inout PublicationRecord) {
        if let timer = record.timer, timer.isRefresh { spreader.release(timer.at) }
        record.timer = nil
    }

    /// Starts the transaction for `request`: stamps CSeq and serial now, sends from a detached task.
    private func start(_ request: PublishRequest, on record: inout PublicationRecord) {
        serial += 1
        record.sendSerial = serial
        record.cseq &+= 1
        record.hasPendingUpdate = false
        disarm(&record)
        let message = PublishMessage.request(request, record: record, event: record.key.event, userAgent: configuration.userAgent)
        let key = record.key
        let serial = self.serial
        let nextHop = record.outboundProxy
        let transport = self.transport
        transactionsInFlight += 1
        metrics.sent[request.kind]?.increment()
        logger.debug("PUBLISH sent", metadata: ["publication": "\(key)", "kind": "\(request.kind.rawValue)", "cseq": "\(record.cseq)"])
        Task.detached {
            await self.outcomeReceived(key, serial: serial, await transport.outcome(of: message, nextHop: nextHop))
        }
    }

    /// The PIDF tuple id of a new publication: derived from its key (FNV-1a, 56 bits), so every node of a
    /// cluster stamps the same one; 15 characters, so Swift keeps it inline (no allocation per record).
    static func tupleID(of key: PublicationKey) -> String {
        let hex = String(BodyDigest(of: Array("\(key.presentity)\u{0}\(key.event)\u{0}\(key.id)".utf8)).hash >> 8, radix: 16)
        return "t" + String(repeating: "0", count: 14 - hex.count) + hex
    }

    /// A From tag: 15 random hex digits (60 bits), short enough for Swift to keep inline (no allocation per record).
    static func tag() -> String {
        var generator = SystemRandomNumberGenerator()
        let hex = String((generator.next() as UInt64) >> 4, radix: 16)
        return String(repeating: "0", count: 15 - hex.count) + hex
    }

    /// A random token of 16 hex digits after `prefix`.
    static func token(prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let hex = String(value, radix: 16)
        return prefix + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
