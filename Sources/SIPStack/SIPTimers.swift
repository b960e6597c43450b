/// RFC 3261 §17.1.2 timer values; T1 and T2 configurable, the rest derived.
public struct SIPTimers: Sendable, Equatable {
    /// Round-trip estimate (500 ms).
    public var t1: Duration
    /// Longest retransmit interval for non-INVITE requests (4 s).
    public var t2: Duration
    /// Longest time a message stays in the network (5 s): Timer K on UDP.
    public var t4: Duration

    public init(t1: Duration = .milliseconds(500), t2: Duration = .seconds(4), t4: Duration = .seconds(5)) {
        self.t1 = t1
        self.t2 = t2
        self.t4 = t4
    }

    /// Timer F: 64·T1, the transaction timeout.
    public var timerF: Duration { t1 * 64 }
}
