extension SubscriptionMachine {
    /// Takes up a stored subscription after a restart (a fresh machine). One in force (`pending` or `active`,
    /// `remaining` seconds of its granted lifetime left, its dialog established) keeps the dialog: the refresh
    /// is armed where it would have been, or sent at once when that point has passed; a 481 to it re-creates the
    /// subscription. Anything else (expired, never established, waiting to re-subscribe) starts over: a new
    /// SUBSCRIBE in a new dialog. One that was ending (`terminating`) is unsubscribed in its dialog while that
    /// may be in force, else just ended. With `contactChanged` (this node's Contact is no longer the stored
    /// one) a subscription in force is refreshed at once, so the notifier learns where NOTIFYs now go.
    public mutating func resume(
        stored: State, grantedExpires granted: Int?, remaining: Int?, contactChanged: Bool = false, now: ContinuousClock.Instant
    ) -> [Action] {
        precondition(state == .idle && inFlight == nil && !timerArmed, "only a fresh machine resumes")
        let inForce = granted != nil && (remaining ?? 0) > 0
        if stored == .terminating {
            // It was ending: end it in its dialog if that may still be in force, else there is nothing to end.
            guard inForce else { return end(SubscriptionEnd(reason: "unsubscribed")) }
            state = .terminating
            grantedExpires = granted
            return send(.unsubscribe)
        }
        guard stored == .pending || stored == .active, let granted, let remaining, inForce else {
            return [.resetDialog] + send(.initial)
        }
        state = stored
        grantedExpires = granted
        let margin = max(configuration.refreshMargin, granted / 10)
        guard remaining > margin, !contactChanged else { return send(.refresh) }
        generation += 1
        timerArmed = true
        return [.scheduleTimer(at: now + .seconds(remaining - margin), generation: generation)]
    }
}
