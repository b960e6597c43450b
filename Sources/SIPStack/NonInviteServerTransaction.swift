import SIPCore

/// RFC 3261 §17.2.2 non-INVITE server transaction as a pure state machine: events in, actions out.
///
/// Retransmitted requests are absorbed: dropped in Trying, answered with the last response after that.
public struct NonInviteServerTransaction: Sendable {
    /// A timer of this transaction.
    public enum Timer: Sendable, Equatable {
        /// Keeps the Completed state to answer retransmissions: 64·T1 on UDP, zero on reliable transports.
        case j
    }

    /// What the runner must do.
    public enum Action: Sendable, Equatable {
        /// Hand the request to the transaction user, which answers with ``respond(_:now:)``.
        case deliverRequest
        /// Send this response to the request's source.
        case sendResponse(SIPResponse)
        /// Arm `timer` to fire at `at`; firings of another generation are stale.
        case scheduleTimer(Timer, at: ContinuousClock.Instant, generation: UInt64)
        /// Forget the transaction.
        case terminate
    }

    /// §17.2.2 states.
    public enum State: Sendable, Equatable {
        /// Created, the request not yet seen.
        case idle
        /// Request handed up, no response yet.
        case trying
        /// A provisional response was sent.
        case proceeding
        /// A final response was sent; retransmissions get it again.
        case completed
        /// Finished.
        case terminated
    }

    /// Current state.
    public private(set) var state: State = .idle
    private let reliable: Bool
    private let timers: SIPTimers
    private var lastResponse: SIPResponse?
    private var generation: UInt64 = 0

    public init(reliable: Bool, timers: SIPTimers = SIPTimers()) {
        self.reliable = reliable
        self.timers = timers
    }

    /// The request that created the transaction arrived.
    public mutating func requestReceived() -> [Action] {
        switch state {
        case .idle:
            state = .trying
            return [.deliverRequest]
        case .trying, .terminated:
            return []
        case .proceeding, .completed:
            guard let lastResponse else { preconditionFailure("state \(state) without a response") }
            return [.sendResponse(lastResponse)]
        }
    }

    /// The transaction user answers; later answers after a final one are ignored.
    public mutating func respond(_ response: SIPResponse, now: ContinuousClock.Instant) -> [Action] {
        switch state {
        case .trying, .proceeding:
            lastResponse = response
            if response.statusCode < 200 {
                state = .proceeding
                return [.sendResponse(response)]
            }
            generation += 1
            if reliable {
                state = .terminated
                return [.sendResponse(response), .terminate]
            }
            state = .completed
            return [.sendResponse(response), .scheduleTimer(.j, at: now + timers.timerF, generation: generation)]
        case .idle:
            preconditionFailure("respond() before the request arrived")
        case .completed, .terminated:
            return []
        }
    }

    /// A timer fired.
    public mutating func timerFired(_ timer: Timer, generation firedGeneration: UInt64) -> [Action] {
        guard firedGeneration == generation, state == .completed else { return [] }
        state = .terminated
        return [.terminate]
    }

    /// Sending a response failed at the transport (§17.2.4).
    public mutating func transportFailed() -> [Action] {
        guard state != .terminated, state != .idle else { return [] }
        state = .terminated
        return [.terminate]
    }
}
