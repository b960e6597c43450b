import SIPCore

extension PublicationEngine {
    /// Loads the store's publications into an empty table and resumes each (see
    /// ``PublicationMachine/resume(etag:granted:remaining:body:contentType:expires:now:)``): those the server
    /// still holds keep their ETag and refresh on schedule; the others are published once from the stored
    /// body. Versions continue upward and tuple ids stay. Returns how many were resumed and re-published.
    ///
    /// The store's batches are resumed while the next ones are read. If the store fails part way, what was
    /// read stays resumed and the error is thrown.
    @discardableResult
    public func recover() async throws(PresentityStoreError) -> (resumed: Int, republished: Int) {
        let (batches, sink) = AsyncStream.makeStream(of: [PublicationSnapshot].self)
        let store = self.store
        let loading = Task { () async -> PresentityStoreError? in
            defer { sink.finish() }
            do throws(PresentityStoreError) {
                try await store.load(into: sink)
                return nil
            } catch {
                return error
            }
        }
        var counts = (resumed: 0, republished: 0)
        var reserved = table.count
        for await batch in batches {
            if table.count + batch.count > reserved {
                reserved = max(2 * reserved, table.count + batch.count, 4096)
                table.reserveCapacity(reserved)
            }
            let (resumed, republished) = resume(batch)
            counts.resumed += resumed
            counts.republished += republished
        }
        if let error = await loading.value {
            logger.error("loading stored publications failed part way", metadata: ["error": "\(error)", "resumed": "\(counts.resumed + counts.republished)"])
            throw error
        }
        logger.info("publications recovered", metadata: ["resumed": "\(counts.resumed)", "republished": "\(counts.republished)"])
        return counts
    }

    /// Resumes one batch of stored publications (keys already in the table are left alone).
    private func resume(_ stored: [PublicationSnapshot]) -> (resumed: Int, republished: Int) {
        var resumed = 0
        var republished = 0
        let now = clock()
        let wallNow = wallClock()
        for snapshot in stored where table[snapshot.key] == nil {
            // In a cluster, rows whose tag another node holds stay in the store: that node refreshes them, and
            // an update here looks them up.
            if let tag = snapshot.sharingTag, let activeTags, !activeTags.contains(tag) { continue }
            guard var record = record(restoring: snapshot) else { continue }
            let remaining = (snapshot.expiresAt ?? wallNow) - wallNow
            let actions = record.machine.resume(
                etag: snapshot.etag, granted: snapshot.grantedExpires, remaining: remaining, body: record.body ?? [],
                contentType: snapshot.contentType, expires: snapshot.desiredExpires, now: now)
            if record.machine.requestInFlight != nil { republished += 1 } else { resumed += 1 }
            execute(actions, on: &record)
            table.insert(record)
        }
        return (resumed, republished)
    }

    /// A record with everything a stored publication carries (Call-ID, From tag, CSeq, body, version, tuple id,
    /// …) and a fresh machine; nil, logged, for one without a body or a presentity that does not parse.
    func record(restoring snapshot: PublicationSnapshot) -> PublicationRecord? {
        guard let body = snapshot.body, let presentity = try? SIPURI(parsing: snapshot.key.presentity) else {
            logger.warning("stored publication cannot be resumed", metadata: ["publication": "\(snapshot.key)"])
            return nil
        }
        var record = PublicationRecord(
            key: snapshot.key, presentity: presentity,
            machine: PublicationMachine(configuration: configuration.machine, random: makeRandom()),
            contentType: snapshot.contentType, tupleID: snapshot.tupleID,
            callID: snapshot.callID ?? Self.token(prefix: "p") + "@lamplighter", fromTag: snapshot.fromTag ?? Self.tag(),
            source: snapshot.source)
        record.cseq = snapshot.cseq ?? 0
        record.body = body
        record.sourceDigest = snapshot.sourceDigest
        record.nextVersion = (snapshot.version ?? 0) + 1
        record.desiredExpires = snapshot.desiredExpires
        record.expiresAt = snapshot.expiresAt
        record.lastReply = snapshot.lastReply
        record.sharingTag = snapshot.sharingTag
        record.extraHeaders = snapshot.extraHeaders
        record.outboundProxy = snapshot.outboundProxy
        return record
    }
}
