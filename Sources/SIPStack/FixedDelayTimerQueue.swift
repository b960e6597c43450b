/// Timers whose delay is the same for every entry (Timer F, K, J of one endpoint), kept in arrival order.
///
/// With one delay, deadlines rise in the order timers are armed, so a FIFO replaces the event loop's timer
/// heap: arming and expiring are O(1) without an allocation per timer, and one wake-up serves them all.
/// Entries are data (`Payload` carries the transaction key and generation); stale ones are dropped by the
/// caller's generation check, never cancelled.
struct FixedDelayTimerQueue<Payload> {
    private var deadlines: [ContinuousClock.Instant] = []
    private var payloads: [Payload] = []
    private var head = 0

    /// Number of armed entries.
    var count: Int { deadlines.count - head }

    /// The earliest deadline, if any.
    var nextDeadline: ContinuousClock.Instant? {
        head < deadlines.count ? deadlines[head] : nil
    }

    /// Arms an entry. Deadlines must not decrease (same delay, monotonic clock); a decreasing one is a bug.
    mutating func arm(at deadline: ContinuousClock.Instant, _ payload: Payload) {
        if let last = deadlines.last, head < deadlines.count {
            precondition(deadline >= last, "fixed-delay timers armed out of order")
        }
        deadlines.append(deadline)
        payloads.append(payload)
    }

    /// Removes and returns every entry due at `now`, earliest first.
    mutating func expire(now: ContinuousClock.Instant) -> [Payload] {
        var due: [Payload] = []
        while head < deadlines.count, deadlines[head] <= now {
            due.append(payloads[head])
            head += 1
        }
        if head > 1024, head * 2 > deadlines.count {
            deadlines.removeFirst(head)
            payloads.removeFirst(head)
            head = 0
        } else if head == deadlines.count {
            deadlines.removeAll(keepingCapacity: true)
            payloads.removeAll(keepingCapacity: true)
            head = 0
        }
        return due
    }
}
