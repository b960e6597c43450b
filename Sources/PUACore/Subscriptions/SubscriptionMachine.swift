import SIPCore

/// RFC 6665 subscriber side of one subscription (OpenSIPS `pua` `subs_info` semantics) as a pure state machine:
/// events in, actions out. The runner owns the dialog (Call-ID, tags, route set, remote target, CSeq) and
/// answers NOTIFYs; the machine decides what to send and when.
///
/// - One SUBSCRIBE in flight at a time; an unsubscribe asked for meanwhile goes out after its reply.
/// - A 2xx arms the refresh before the granted expiry; a NOTIFY's `expires` can only bring it forward.
/// - 481 or 408 (or no answer) to a refresh re-creates the subscription in a new dialog; 423 adopts
///   Min-Expires; transient failures of a new SUBSCRIBE (408, 5xx, no answer) are retried with backoff
///   (at least Retry-After); other failures (403, 489, …) end it.
/// - A terminating NOTIFY with `deactivated` or `timeout` re-subscribes at once (after `retry-after` when
///   given), `probation` after `retry-after` or the backoff; `rejected`, `noresource`, `giveup` and others end it.
/// - Time is injected; timers carry a generation and stale firings are ignored.
public struct SubscriptionMachine: Sendable {
    /// Tunables.
    public struct Configuration: Sendable, Equatable {
        /// `Expires` asked for when none is given.
        public var defaultExpires: Int
        /// Refresh at the granted expiry less `max(refreshMargin, 10 %)` seconds.
        public var refreshMargin: Int
        /// First retry delay of a failed new SUBSCRIBE; doubles per attempt up to `backoffCap`.
        public var backoffBase: Duration
        public var backoffCap: Duration

        public init(defaultExpires: Int = 3600, refreshMargin: Int = 10, backoffBase: Duration = .seconds(2), backoffCap: Duration = .seconds(300)) {
            self.defaultExpires = defaultExpires
            self.refreshMargin = refreshMargin
            self.backoffBase = backoffBase
            self.backoffCap = backoffCap
        }
    }

    /// What the runner must do, in order.
    public enum Action: Sendable, Equatable {
        /// Send this SUBSCRIBE; its outcome comes back as `replyReceived` or `transactionFailed`.
        case sendSubscribe(SubscribeRequest)
        /// Forget the dialog (Call-ID, tags, route set, remote target, CSeq): the next SUBSCRIBE starts a new one.
        case resetDialog
        /// Arm the timer (refresh or re-subscribe) for `at`; a firing with another generation is stale.
        case scheduleTimer(at: ContinuousClock.Instant, generation: UInt64)
        /// The subscription's state changed (a NOTIFY said so).
        case reportState(State)
        /// It ended; the machine ignores everything from now on.
        case reportTerminated(SubscriptionEnd)
    }

    /// Where the subscription stands.
    public enum State: Sendable, Equatable {
        /// Nothing in force: not started, or waiting to re-subscribe.
        case idle
        /// A new SUBSCRIBE is out; no dialog yet.
        case establishing
        /// The notifier has not authorised it yet.
        case pending
        /// In force.
        case active
        /// Ending: the unsubscribe (Expires 0) is out or waits for the reply in flight.
        case terminating
        /// Over.
        case terminated
    }

    enum Sent: Sendable, Equatable {
        case initial, refresh, unsubscribe
    }

    public internal(set) var state: State = .idle
    /// Seconds the last 2xx granted.
    public internal(set) var grantedExpires: Int?
    let configuration: Configuration
    var requestedExpires: Int
    var serverMinExpires = 0
    var inFlight: (kind: Sent, expires: Int)?
    var generation: UInt64 = 0
    var timerArmed = false
    var attempts = 0

    public init(configuration: Configuration = Configuration(), expires: Int? = nil) {
        self.configuration = configuration
        requestedExpires = expires ?? configuration.defaultExpires
    }

    /// The `Expires` asked for: requested, raised to a server's Min-Expires.
    public var desiredExpires: Int { max(requestedExpires, serverMinExpires) }

    /// Whether a SUBSCRIBE is out.
    public var isRequestInFlight: Bool { inFlight != nil }

    // MARK: - Events

    /// Starts the subscription: a new SUBSCRIBE.
    public mutating func start(now: ContinuousClock.Instant) -> [Action] {
        guard state == .idle, inFlight == nil else { return [] }
        return send(.initial)
    }

    /// Ends it: Expires 0 in the dialog (after the reply in flight, if any); without a dialog it just ends.
    public mutating func unsubscribe(now: ContinuousClock.Instant) -> [Action] {
        switch state {
        case .terminated, .terminating:
            return []
        case .idle:
            return end(SubscriptionEnd(reason: "unsubscribed"))
        case .establishing, .pending, .active:
            state = .terminating
            timerArmed = false
            generation += 1
            if inFlight != nil { return [] }  // Sent when the reply comes.
            return send(.unsubscribe)
        }
    }

    /// The final response to the SUBSCRIBE in flight.
    public mutating func replyReceived(_ reply: SubscribeReply, now: ContinuousClock.Instant) -> [Action] {
        guard let sent = inFlight, reply.statusCode >= 200, state != .terminated else { return [] }
        inFlight = nil
        switch reply.statusCode {
        case 200..<300:
            if sent.kind == .unsubscribe { return end(SubscriptionEnd(reason: "unsubscribed")) }
            if state == .terminating { return send(.unsubscribe) }
            attempts = 0
            let granted = reply.expires ?? sent.expires
            grantedExpires = granted
            var actions: [Action] = []
            if state == .establishing || state == .idle {
                state = .pending  // Until a NOTIFY says otherwise (it may already have: then the state stays).
                actions.append(.reportState(.pending))
            }
            return actions + armRefresh(after: granted, now: now)
        case 423:
            if let minimum = reply.minExpires, minimum > sent.expires, sent.kind != .unsubscribe {
                serverMinExpires = minimum
                return send(sent.kind)
            }
            return end(SubscriptionEnd(reason: "refused", statusCode: 423))
        case 481, 408:
            switch sent.kind {
            case .initial: return retryLater(retryAfter: reply.retryAfter, now: now)
            case .refresh: return recreate(after: sent)
            case .unsubscribe: return end(SubscriptionEnd(reason: "unsubscribed", statusCode: reply.statusCode))
            }
        case 500..<600:
            if sent.kind == .initial { return retryLater(retryAfter: reply.retryAfter, now: now) }
            return sent.kind == .unsubscribe ? end(SubscriptionEnd(reason: "unsubscribed", statusCode: reply.statusCode)) : recreate(after: sent)
        default:
            if sent.kind == .unsubscribe { return end(SubscriptionEnd(reason: "unsubscribed", statusCode: reply.statusCode)) }
            return end(SubscriptionEnd(reason: "refused", statusCode: reply.statusCode))
        }
    }

    /// The SUBSCRIBE in flight got no final response (Timer F) or could not be sent.
    public mutating func transactionFailed(now: ContinuousClock.Instant) -> [Action] {
        guard let sent = inFlight, state != .terminated else { return [] }
        inFlight = nil
        switch sent.kind {
        case .initial: return retryLater(retryAfter: nil, now: now)
        case .refresh: return recreate(after: sent)
        case .unsubscribe: return end(SubscriptionEnd(reason: "unsubscribed"))
        }
    }

    /// A NOTIFY of this subscription arrived (the runner answers it 200), with its Subscription-State.
    public mutating func notifyReceived(_ subscriptionState: SIPSubscriptionState, now: ContinuousClock.Instant) -> [Action] {
        switch state {
        case .terminated, .idle:
            return []
        case .terminating:
            return subscriptionState.state == .terminated && inFlight == nil ? end(SubscriptionEnd(reason: "unsubscribed")) : []
        case .establishing, .pending, .active:
            break
        }
        switch subscriptionState.state {
        case .active, .pending:
            let new: State = subscriptionState.state == .active ? .active : .pending
            var actions: [Action] = []
            if new != state {
                state = new
                actions.append(.reportState(new))
            }
            // The notifier may shorten the subscription; never lengthen it past what the 2xx granted.
            if let expires = subscriptionState.expires, inFlight == nil, expires < (grantedExpires ?? Int.max) {
                grantedExpires = expires
                actions += armRefresh(after: expires, now: now)
            }
            return actions
        case .terminated:
            switch subscriptionState.reason?.lowercased() {
            case "deactivated", "timeout":
                if let wait = subscriptionState.retryAfter { return [.resetDialog] + waitThenResubscribe(.seconds(wait), now: now) }
                return resubscribeNow()
            case "probation":
                return [.resetDialog] + waitThenResubscribe(subscriptionState.retryAfter.map { .seconds($0) } ?? backoff(), now: now)
            default:
                return end(SubscriptionEnd(reason: subscriptionState.reason ?? "terminated"))
            }
        case .other:
            return []  // An extension state this subscriber does not know: nothing changes (RFC 6665 §4.1.3).
        }
    }

    /// Refreshes now (in the dialog), e.g. to get a full state after a gap in partial notifications; nothing
    /// when not in force or a request is out.
    public mutating func refreshNow(now: ContinuousClock.Instant) -> [Action] {
        guard state == .pending || state == .active, inFlight == nil else { return [] }
        return send(.refresh)
    }

    /// The refresh or re-subscribe timer fired; stale generations are ignored.
    public mutating func timerFired(generation fired: UInt64, now: ContinuousClock.Instant) -> [Action] {
        guard timerArmed, fired == generation, inFlight == nil else { return [] }
        timerArmed = false
        switch state {
        case .idle: return send(.initial)
        case .pending, .active: return send(.refresh)
        case .establishing, .terminating, .terminated: return []
        }
    }

    // MARK: - Steps

    mutating func send(_ kind: Sent) -> [Action] {
        let expires = kind == .unsubscribe ? 0 : desiredExpires
        inFlight = (kind, expires)
        timerArmed = false
        generation += 1
        if kind == .initial { state = .establishing }
        return [.sendSubscribe(SubscribeRequest(expires: expires, inDialog: kind != .initial))]
    }

    mutating func armRefresh(after granted: Int, now: ContinuousClock.Instant) -> [Action] {
        let margin = max(configuration.refreshMargin, granted / 10)
        let delay = max(1, granted - margin)
        generation += 1
        timerArmed = true
        return [.scheduleTimer(at: now + .seconds(delay), generation: generation)]
    }

    /// The dialog is gone at the notifier: start a new one at once.
    mutating func recreate(after sent: (kind: Sent, expires: Int)) -> [Action] {
        if state == .terminating { return end(SubscriptionEnd(reason: "unsubscribed")) }
        return resubscribeNow()
    }

    mutating func resubscribeNow() -> [Action] {
        [.resetDialog] + send(.initial)
    }

    mutating func waitThenResubscribe(_ delay: Duration, now: ContinuousClock.Instant) -> [Action] {
        state = .idle
        generation += 1
        timerArmed = true
        return [.scheduleTimer(at: now + delay, generation: generation)]
    }

    mutating func retryLater(retryAfter: Int?, now: ContinuousClock.Instant) -> [Action] {
        if state == .terminating { return end(SubscriptionEnd(reason: "unsubscribed")) }
        let delay = max(backoff(), .seconds(retryAfter ?? 0))
        attempts += 1
        return [.resetDialog] + waitThenResubscribe(delay, now: now)
    }

    /// The delay before the next attempt: base × 2^attempts, capped.
    func backoff() -> Duration {
        min(configuration.backoffCap, configuration.backoffBase * (1 << min(attempts, 20)))
    }

    mutating func end(_ why: SubscriptionEnd) -> [Action] {
        state = .terminated
        inFlight = nil
        timerArmed = false
        generation += 1
        return [.reportTerminated(why)]
    }
}
