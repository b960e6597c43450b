extension PublicationMachine {
    /// A new desired state. `expires == 0` removes the publication; nil asks for `defaultExpires`.
    public mutating func update(body: [UInt8], contentType: String, expires: Int?, now: ContinuousClock.Instant) -> [Action] {
        guard state != .removed else { return [] }
        if expires == 0 {
            removing = true
            if inFlight != nil { return [] }  // Decided when the reply comes.
            if etag == nil { return forget() }  // Nothing published: nothing to remove.
            if retryArmed { return [] }  // The retry timer sends the removal.
            return proceed(now: now, timer: false)
        }
        removing = false
        self.body = body
        self.contentType = contentType
        requestedExpires = expires
        if publishedBodyUnknown {
            // The server holds another node's body: this update goes out whatever it is.
            publishedBody = nil
            publishedBodyUnknown = false
        }
        if inFlight != nil || retryArmed { return [] }  // Coalesced: goes out after the reply or the retry timer.
        // After a final failure the next update is sent even when its body equals the last one published
        // (as a refresh then), since no refresh timer is armed.
        return proceed(now: now, timer: state == .failed)
    }

    /// The reply to the PUBLISH in flight; replies when nothing is in flight are ignored.
    public mutating func replyReceived(_ reply: PublishReply, now: ContinuousClock.Instant) -> [Action] {
        guard state != .removed, let sent = inFlight, reply.statusCode >= 200 else { return [] }
        inFlight = nil
        switch reply.statusCode {
        case 200..<300:
            return succeeded(sent, reply: reply, now: now)
        case 412:
            if sent.request.ifMatch == nil {
                return failedFinally(PublishFailure(code: .conditionalRequestFailed, statusCode: 412, willRetry: false))
            }
            dropETag()  // The server lost our publication: start over with the full body.
            if removing { return forget() }
            return send(.initial)
        case 423:
            if let minimum = reply.minExpires, minimum > sent.request.expires, sent.kind != .remove {
                serverMinExpires = max(serverMinExpires, minimum)
                return proceed(now: now, timer: true)
            }
            return failedFinally(PublishFailure(code: .intervalTooBrief, statusCode: 423, willRetry: false))
        case 408:
            return failedTransiently(sent, code: .requestTimeout, statusCode: 408, retryAfter: reply.retryAfter, now: now)
        case 500..<600:
            if sent.request.ifMatch != nil, sent.kind != .remove, !removing, !retriedConditionalAsInitial,
                reply.retryAfter == nil
            {
                // pua: a 5xx to a conditional PUBLISH is retried once as an initial one.
                retriedConditionalAsInitial = true
                dropETag()
                return send(.initial)
            }
            return failedTransiently(sent, code: .serverError, statusCode: reply.statusCode, retryAfter: reply.retryAfter, now: now)
        case 489:
            return failedFinally(PublishFailure(code: .badEvent, statusCode: 489, willRetry: false))
        default:
            return failedFinally(PublishFailure(code: .rejected, statusCode: reply.statusCode, willRetry: false))
        }
    }

    /// The PUBLISH in flight timed out or could not be sent.
    public mutating func transactionFailed(now: ContinuousClock.Instant) -> [Action] {
        guard state != .removed, let sent = inFlight else { return [] }
        inFlight = nil
        return failedTransiently(sent, code: .transactionFailed, statusCode: nil, retryAfter: nil, now: now)
    }

    /// The refresh or retry timer fired; stale generations are ignored.
    public mutating func timerFired(generation firedGeneration: UInt64, now: ContinuousClock.Instant) -> [Action] {
        guard state != .removed, timerArmed, firedGeneration == generation, inFlight == nil else { return [] }
        timerArmed = false
        retryArmed = false
        return proceed(now: now, timer: true)
    }
}

extension PublicationMachine {
    /// Sends what the desired state needs, if anything; `timer` forces a refresh of an unchanged publication.
    mutating func proceed(now: ContinuousClock.Instant, timer: Bool) -> [Action] {
        if removing {
            return etag == nil ? forget() : send(.remove)
        }
        guard body != nil else { return [] }
        let changed = body != publishedBody || contentType != publishedContentType
        if etag == nil { return changed || timer ? send(.initial) : [] }
        if changed { return send(.modify) }
        return timer ? send(.refresh) : []
    }

    /// Builds the request now (stamping the current ETag) and puts it in flight.
    mutating func send(_ kind: Kind) -> [Action] {
        let request: PublishRequest
        switch kind {
        case .initial:
            request = PublishRequest(ifMatch: nil, body: body, contentType: contentType, expires: desiredExpires)
        case .modify:
            request = PublishRequest(ifMatch: etag, body: body, contentType: contentType, expires: desiredExpires)
        case .refresh:
            request = PublishRequest(ifMatch: etag, body: nil, contentType: nil, expires: desiredExpires)
        case .remove:
            request = PublishRequest(ifMatch: etag, body: nil, contentType: nil, expires: 0)
        }
        generation += 1  // Any armed timer is now stale.
        timerArmed = false
        inFlight = InFlight(kind: kind, request: request)
        state = .publishing
        return [.sendPublish(request)]
    }

    mutating func succeeded(_ sent: InFlight, reply: PublishReply, now: ContinuousClock.Instant) -> [Action] {
        attempts = 0
        lastFailure = nil
        retriedConditionalAsInitial = false
        if sent.kind == .remove {
            dropETag()
            grantedExpires = nil
            if removing { return forget() }
            state = .idle
            return proceed(now: now, timer: false)  // Updated during the removal: publish afresh.
        }
        if let newETag = reply.etag { etag = newETag }
        if let body = sent.request.body {
            publishedBody = body
            publishedContentType = sent.request.contentType
            publishedBodyUnknown = false
        }
        let granted = reply.expires.flatMap { $0 > 0 ? $0 : nil } ?? sent.request.expires
        grantedExpires = granted
        state = .published
        let next = proceed(now: now, timer: false)  // A coalesced update or removal goes out with the new ETag.
        return [.reportPublished] + (next.isEmpty ? [scheduleRefresh(granted: granted, now: now)] : next)
    }

    /// Arms the refresh: no later than the granted expiry minus `max(margin, 10 %)` (but not before half of it),
    /// no earlier than 40 % of it; where in between is the runner's choice, to spread load.
    mutating func scheduleRefresh(granted: Int, now: ContinuousClock.Instant) -> Action {
        let grantedMs = granted * 1000
        let marginMs = max(configuration.refreshMargin * 1000, grantedMs / 10)
        let latestMs = max(grantedMs - marginMs, grantedMs / 2)
        generation += 1
        timerArmed = true
        return .scheduleRefresh(
            earliest: now + .milliseconds(grantedMs * 2 / 5), latest: now + .milliseconds(latestMs), generation: generation)
    }

    /// Records a transient failure and arms a capped, jittered exponential backoff (at least Retry-After).
    /// Nothing is dropped: the retry sends whatever the desired state needs then.
    mutating func failedTransiently(
        _ sent: InFlight, code: PublishFailure.Code, statusCode: Int?, retryAfter: Int?, now: ContinuousClock.Instant
    ) -> [Action] {
        if removing && etag == nil { return forget() }
        attempts += 1
        let capMs = Self.milliseconds(configuration.backoffCap)
        let exponentialMs = min(capMs, Self.milliseconds(configuration.backoffBase) << min(attempts - 1, 30))
        let jitterMs = Int(nextFraction() * configuration.backoffJitter * Double(exponentialMs))
        let delayMs = max(exponentialMs - jitterMs, (retryAfter ?? 0) * 1000)
        let failure = PublishFailure(code: code, statusCode: statusCode, willRetry: true)
        lastFailure = failure
        state = .failed
        retryArmed = true
        timerArmed = true
        generation += 1
        return [.reportFailure(failure), .scheduleTimer(at: now + .milliseconds(delayMs), generation: generation)]
    }

    /// Records a final failure: nothing is retried until the next update (a removal just forgets).
    mutating func failedFinally(_ failure: PublishFailure) -> [Action] {
        lastFailure = failure
        if removing { return [.reportFailure(failure)] + forget() }
        state = .failed
        return [.reportFailure(failure)]
    }

    mutating func dropETag() {
        etag = nil
        publishedBody = nil
        publishedContentType = nil
    }

    mutating func forget() -> [Action] {
        state = .removed
        inFlight = nil
        timerArmed = false
        generation += 1
        return [.forget]
    }

    /// A uniform fraction in [0, 1) from the injected generator (53 bits).
    mutating func nextFraction() -> Double {
        Double(random.next() >> 11) * 0x1p-53
    }

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
