extension PublicationMachine {
    /// Picks up a publication stored before a restart (no events since; the machine is fresh).
    ///
    /// With an ETag and at least `max(refreshMargin, 10 %)` of the granted lifetime left (`remaining`
    /// seconds, from the stored wall-clock expiry), the server still holds it: the ETag is kept and a refresh
    /// is scheduled in the usual window, shifted to what is left. Otherwise one initial PUBLISH sends the
    /// stored body (no SIP-If-Match, so no 412 storm after a long outage).
    public mutating func resume(
        etag storedETag: String?, granted: Int?, remaining: Double, body: [UInt8], contentType: String, expires: Int?,
        now: ContinuousClock.Instant
    ) -> [Action] {
        precondition(state == .idle && inFlight == nil, "resume is for a fresh machine")
        self.body = body
        self.contentType = contentType
        requestedExpires = expires
        let grantedSeconds = granted ?? desiredExpires
        let marginSeconds = max(Double(configuration.refreshMargin), Double(grantedSeconds) / 10)
        guard let storedETag, remaining > marginSeconds else { return send(.initial) }
        etag = storedETag
        grantedExpires = grantedSeconds
        publishedBody = body
        publishedContentType = contentType
        state = .published
        return armRefresh(granted: grantedSeconds, remaining: remaining, now: now)
    }
}
