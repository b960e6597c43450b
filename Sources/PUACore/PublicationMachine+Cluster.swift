extension PublicationMachine {
    /// Another node's PUBLISH changed this publication at the server (a cluster announcement): its ETag and
    /// lifetime are taken and nothing is sent. The body it sent is not known here, so the next update goes out
    /// whatever it is, while a timer still only refreshes. With `refresh` (this node holds the record's
    /// sharing tag) the refresh is armed in the usual window of what is left; else no timer runs. Ignored while
    /// a request is in flight (its reply decides) or once removed.
    public mutating func remotePublished(etag newETag: String, granted: Int, remaining: Double, refresh: Bool, now: ContinuousClock.Instant) -> [Action] {
        guard inFlight == nil, state != .removed, !removing else { return [] }
        etag = newETag
        grantedExpires = granted
        state = .published
        lastFailure = nil
        attempts = 0
        retryArmed = false
        // Timers only refresh (what the server holds is not this machine's to resend); the next update goes out
        // whatever it is.
        publishedBody = body
        publishedContentType = contentType
        publishedBodyUnknown = true
        generation += 1  // Any armed timer is now stale.
        timerArmed = false
        return refresh ? armRefresh(granted: granted, remaining: remaining, now: now) : []
    }

    /// A fresh machine for a stored publication another node holds at the server with `etag`: the desired state
    /// is the stored one, the server's body unknown (see ``remotePublished(etag:granted:remaining:refresh:now:)``).
    public mutating func adopt(
        etag newETag: String, granted: Int, remaining: Double, body storedBody: [UInt8], contentType storedType: String, expires: Int?,
        refresh: Bool, now: ContinuousClock.Instant
    ) -> [Action] {
        precondition(state == .idle && inFlight == nil, "only a fresh machine adopts")
        body = storedBody
        contentType = storedType
        requestedExpires = expires
        return remotePublished(etag: newETag, granted: granted, remaining: remaining, refresh: refresh, now: now)
    }

    /// This node took over the record's sharing tag: a published record's refresh is armed for what is left
    /// of its lifetime (at once when that is inside the margin). Nothing for one in flight, failed or idle.
    public mutating func tookOver(remaining: Double, now: ContinuousClock.Instant) -> [Action] {
        guard inFlight == nil, state == .published, let granted = grantedExpires else { return [] }
        return armRefresh(granted: granted, remaining: remaining, now: now)
    }

    /// A 412 answered the removal in flight while another node is known to hold the publication with
    /// `newerETag` (a cluster announcement that came while the removal was out): the removal goes again with it.
    /// Nothing for any other request, or when the ETag is the one just refused.
    public mutating func removalRefused(newerETag: String) -> [Action] {
        guard let sent = inFlight, sent.kind == .remove, sent.request.ifMatch != newerETag, state != .removed else { return [] }
        inFlight = nil
        etag = newerETag
        return send(.remove)
    }

    /// Arms a refresh for `remaining` seconds of a `granted` lifetime: no later than the margin before its end,
    /// no earlier than half the lifetime before that; inside the margin, a refresh goes out now.
    mutating func armRefresh(granted: Int, remaining: Double, now: ContinuousClock.Instant) -> [Action] {
        let marginSeconds = max(Double(configuration.refreshMargin), Double(granted) / 10)
        guard remaining > marginSeconds else { return send(.refresh) }
        let latestMs = Int((remaining - marginSeconds) * 1000)
        let earliestMs = min(latestMs, max(0, latestMs - granted * 1000 / 2))
        generation += 1
        timerArmed = true
        return [.scheduleRefresh(earliest: now + .milliseconds(earliestMs), latest: now + .milliseconds(latestMs), generation: generation)]
    }
}
