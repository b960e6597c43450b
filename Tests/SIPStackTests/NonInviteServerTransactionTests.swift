import SIPCore
import Testing
@testable import SIPStack

@Suite struct NonInviteServerTransactionTests {
    let t0 = ContinuousClock.now
    let trying = SIPResponse(statusCode: 100, reason: "Trying")
    let ok = SIPResponse(statusCode: 200, reason: "OK")

    @Test func retransmissionsAreAbsorbedWithTheLastResponse() {
        var tx = NonInviteServerTransaction(reliable: false)
        #expect(tx.requestReceived() == [.deliverRequest])
        #expect(tx.requestReceived() == [], "a retransmission in Trying is dropped")
        #expect(tx.respond(trying, now: t0) == [.sendResponse(trying)])
        #expect(tx.state == .proceeding)
        #expect(tx.requestReceived() == [.sendResponse(trying)])
        #expect(tx.respond(ok, now: t0) == [.sendResponse(ok), .scheduleTimer(.j, at: t0 + .seconds(32), generation: 1)])
        #expect(tx.state == .completed)
        #expect(tx.requestReceived() == [.sendResponse(ok)])
        #expect(tx.respond(SIPResponse(statusCode: 500, reason: "Late"), now: t0) == [], "only one final response")
        #expect(tx.timerFired(.j, generation: 0) == [], "stale generation dropped")
        #expect(tx.timerFired(.j, generation: 1) == [.terminate])
        #expect(tx.state == .terminated)
        #expect(tx.requestReceived() == [])
    }

    @Test func reliableTransportsTerminateAtOnce() {
        var tx = NonInviteServerTransaction(reliable: true)
        _ = tx.requestReceived()
        #expect(tx.respond(ok, now: t0) == [.sendResponse(ok), .terminate])
    }

    @Test func aTransportFailureTerminates() {
        var tx = NonInviteServerTransaction(reliable: false)
        _ = tx.requestReceived()
        _ = tx.respond(ok, now: t0)
        #expect(tx.transportFailed() == [.terminate])
        #expect(tx.transportFailed() == [])
    }
}
