import Testing
@testable import SIPStack

@Suite struct FixedDelayTimerQueueTests {
    let t0 = ContinuousClock.now

    @Test func expiresInOrderWhatIsDue() {
        var queue = FixedDelayTimerQueue<Int>()
        #expect(queue.nextDeadline == nil)
        for index in 0..<5 { queue.arm(at: t0 + .seconds(index), index) }
        #expect(queue.count == 5)
        #expect(queue.nextDeadline == t0)
        #expect(queue.expire(now: t0 + .milliseconds(2500)) == [0, 1, 2])
        #expect(queue.nextDeadline == t0 + .seconds(3))
        #expect(queue.expire(now: t0 + .milliseconds(2600)) == [])
        #expect(queue.expire(now: t0 + .seconds(10)) == [3, 4])
        #expect(queue.count == 0)
        #expect(queue.nextDeadline == nil)
    }

    @Test func compactsWhileStayingCorrect() {
        var queue = FixedDelayTimerQueue<Int>()
        var expired: [Int] = []
        for index in 0..<10_000 {
            queue.arm(at: t0 + .milliseconds(index), index)
            if index % 7 == 0 { expired += queue.expire(now: t0 + .milliseconds(index - 500)) }
        }
        expired += queue.expire(now: t0 + .seconds(100))
        #expect(expired == Array(0..<10_000))
        #expect(queue.count == 0)
    }
}
