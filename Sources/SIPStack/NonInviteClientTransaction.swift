import SIPCore

/// RFC 3261 §17.1.2 non-INVITE client transaction as a pure state machine: events in, actions out.
///
/// Time is injected as `ContinuousClock.Instant`; timers are actions carrying a generation so the runner
/// can drop stale firings.
public struct NonInviteClientTransaction: Sendable {
    /// A timer of this transaction.
    public enum Timer: Sendable, Equatable {
        /// Retransmission (UDP only): T1, doubling up to T2.
        case e
        /// Transaction timeout: 64·T1.
        case f
        /// Absorbs response retransmissions in Completed: T4 on UDP, zero on reliable transports.
        case k
    }

    /// What the runner must do.
    public enum Action: Sendable, Equatable {
        /// Send (or resend) the request.
        case sendRequest
        /// Arm `timer` to fire at `at`; a firing with another `generation` is stale.
        case scheduleTimer(Timer, at: ContinuousClock.Instant, generation: UInt64)
        /// Pass a provisional response up.
        case deliverProvisional(SIPResponse)
        /// Pass the final response up: the transaction's result.
        case deliverFinal(SIPResponse)
        /// No final response before Timer F: report a timeout.
        case reportTimeout
        /// The transport failed: report it.
        case reportTransportError
        /// Forget the transaction.
        case terminate
    }

    /// §17.1.2.2 states.
    public enum State: Sendable, Equatable {
        /// Created, request not yet sent.
        case idle
        /// Request sent, nothing heard.
        case trying
        /// A provisional response arrived.
        case proceeding
        /// A final response arrived; absorbing retransmissions until Timer K.
        case completed
        /// Finished.
        case terminated
    }

    /// Current state.
    public private(set) var state: State = .idle
    private let reliable: Bool
    private let timers: SIPTimers
    private var retransmitInterval: Duration
    /// The delay of the Timer E armed last (T2 once proceeding), so a runner can keep one FIFO per delay.
    public var timerEDelay: Duration { state == .proceeding ? timers.t2 : retransmitInterval }
    private var generation: UInt64 = 0

    /// `reliable` is true over TCP/TLS: no retransmissions, Timer K zero.
    public init(reliable: Bool, timers: SIPTimers = SIPTimers()) {
        self.reliable = reliable
        self.timers = timers
        self.retransmitInterval = timers.t1
    }

    /// The transaction user asked to send the request.
    public mutating func start(now: ContinuousClock.Instant) -> [Action] {
        guard state == .idle else { preconditionFailure("start() called twice on a client transaction") }
        state = .trying
        generation += 1
        var actions: [Action] = [.sendRequest, .scheduleTimer(.f, at: now + timers.timerF, generation: generation)]
        if !reliable {
            actions.append(.scheduleTimer(.e, at: now + retransmitInterval, generation: generation))
        }
        return actions
    }

    /// A response matched this transaction (by branch and CSeq method).
    public mutating func responseReceived(_ response: SIPResponse, now: ContinuousClock.Instant) -> [Action] {
        switch state {
        case .trying, .proceeding:
            if response.statusCode < 200 {
                state = .proceeding
                return [.deliverProvisional(response)]
            }
            state = .completed
            generation += 1
            if reliable {
                state = .terminated
                return [.deliverFinal(response), .terminate]
            }
            return [.deliverFinal(response), .scheduleTimer(.k, at: now + timers.t4, generation: generation)]
        case .completed, .terminated, .idle:
            return []  // Retransmitted final responses are absorbed.
        }
    }

    /// A timer fired; firings from an earlier generation are ignored.
    public mutating func timerFired(_ timer: Timer, generation firedGeneration: UInt64, now: ContinuousClock.Instant) -> [Action] {
        guard firedGeneration == generation else { return [] }
        switch (timer, state) {
        case (.e, .trying):
            retransmitInterval = min(retransmitInterval * 2, timers.t2)
            return [.sendRequest, .scheduleTimer(.e, at: now + retransmitInterval, generation: generation)]
        case (.e, .proceeding):
            // §17.1.2.2: in Proceeding, retransmit every T2.
            return [.sendRequest, .scheduleTimer(.e, at: now + timers.t2, generation: generation)]
        case (.f, .trying), (.f, .proceeding):
            state = .terminated
            return [.reportTimeout, .terminate]
        case (.k, .completed):
            state = .terminated
            return [.terminate]
        default:
            return []
        }
    }

    /// Sending failed at the transport (§17.1.4).
    public mutating func transportFailed() -> [Action] {
        switch state {
        case .trying, .proceeding:
            state = .terminated
            return [.reportTransportError, .terminate]
        default:
            return []
        }
    }
}
