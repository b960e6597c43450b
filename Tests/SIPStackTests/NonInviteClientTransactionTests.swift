import SIPCore
import Testing
@testable import SIPStack

@Suite struct NonInviteClientTransactionTests {
    let t0 = ContinuousClock.now
    let timers = SIPTimers()

    func response(_ code: Int) -> SIPResponse {
        SIPResponse(statusCode: code, reason: code == 200 ? "OK" : "Trying")
    }

    @Test func udpRetransmitsWithTimerEDoublingUpToT2() {
        var tx = NonInviteClientTransaction(reliable: false)
        #expect(tx.start(now: t0) == [
            .sendRequest,
            .scheduleTimer(.f, at: t0 + .seconds(32), generation: 1),
            .scheduleTimer(.e, at: t0 + .milliseconds(500), generation: 1),
        ])
        var now = t0 + .milliseconds(500)
        var expectedIntervals: [Duration] = [.seconds(1), .seconds(2), .seconds(4), .seconds(4)]
        while let interval = expectedIntervals.first {
            expectedIntervals.removeFirst()
            #expect(tx.timerFired(.e, generation: 1, now: now) == [.sendRequest, .scheduleTimer(.e, at: now + interval, generation: 1)])
            now = now + interval
        }
        #expect(tx.state == .trying)
    }

    @Test func timerFGivesATimeout() {
        var tx = NonInviteClientTransaction(reliable: false)
        _ = tx.start(now: t0)
        #expect(tx.timerFired(.f, generation: 1, now: t0 + .seconds(32)) == [.reportTimeout, .terminate])
        #expect(tx.state == .terminated)
        #expect(tx.timerFired(.e, generation: 1, now: t0 + .seconds(33)) == [], "no retransmission after termination")
    }

    @Test func provisionalThenFinalOverUDPWaitsForTimerK() {
        var tx = NonInviteClientTransaction(reliable: false)
        _ = tx.start(now: t0)
        #expect(tx.responseReceived(response(100), now: t0) == [.deliverProvisional(response(100))])
        #expect(tx.state == .proceeding)
        // Proceeding retransmits every T2.
        #expect(tx.timerFired(.e, generation: 1, now: t0 + .seconds(1)) == [.sendRequest, .scheduleTimer(.e, at: t0 + .seconds(5), generation: 1)])
        #expect(tx.responseReceived(response(200), now: t0 + .seconds(2)) == [
            .deliverFinal(response(200)), .scheduleTimer(.k, at: t0 + .seconds(7), generation: 2),
        ])
        #expect(tx.state == .completed)
        #expect(tx.responseReceived(response(200), now: t0 + .seconds(3)) == [], "retransmitted final absorbed")
        #expect(tx.timerFired(.e, generation: 1, now: t0 + .seconds(5)) == [], "stale Timer E dropped by generation")
        #expect(tx.timerFired(.f, generation: 1, now: t0 + .seconds(32)) == [], "stale Timer F dropped by generation")
        #expect(tx.timerFired(.k, generation: 2, now: t0 + .seconds(7)) == [.terminate])
        #expect(tx.state == .terminated)
    }

    @Test func reliableTransportsNeitherRetransmitNorLinger() {
        var tx = NonInviteClientTransaction(reliable: true)
        #expect(tx.start(now: t0) == [.sendRequest, .scheduleTimer(.f, at: t0 + .seconds(32), generation: 1)])
        #expect(tx.responseReceived(response(200), now: t0) == [.deliverFinal(response(200)), .terminate])
        #expect(tx.state == .terminated)
    }

    @Test func aTransportErrorEndsTheTransaction() {
        var tx = NonInviteClientTransaction(reliable: false)
        _ = tx.start(now: t0)
        #expect(tx.transportFailed() == [.reportTransportError, .terminate])
        #expect(tx.transportFailed() == [])
    }

    @Test func timersFollowConfiguredT1() {
        var tx = NonInviteClientTransaction(reliable: false, timers: SIPTimers(t1: .milliseconds(100), t2: .milliseconds(400)))
        #expect(tx.start(now: t0).contains(.scheduleTimer(.f, at: t0 + .milliseconds(6400), generation: 1)))
    }
}
