import SIPCore
import Testing
@testable import PUACore

/// A stored subscription taken up after a restart, as scripts with injected time.
@Suite struct SubscriptionMachineResumeTests {
    let t0 = ContinuousClock.now
    let initial = SubscriptionMachine.Action.sendSubscribe(SubscribeRequest(expires: 600, inDialog: false))
    let refresh = SubscriptionMachine.Action.sendSubscribe(SubscribeRequest(expires: 600, inDialog: true))
    let unsubscribe = SubscriptionMachine.Action.sendSubscribe(SubscribeRequest(expires: 0, inDialog: true))

    func machine() -> SubscriptionMachine {
        SubscriptionMachine(configuration: .init(refreshMargin: 10, backoffBase: .seconds(2), backoffCap: .seconds(30)), expires: 600)
    }

    @Test func oneInForceKeepsItsDialogAndRefreshesWhereItWouldHave() {
        var sm = machine()
        // 600 s granted, 300 s left: the refresh is due 60 s (10 %) before the end.
        let actions = sm.resume(stored: .active, grantedExpires: 600, remaining: 300, now: t0)
        guard case .scheduleTimer(let at, let generation) = actions.first, actions.count == 1 else { Issue.record("\(actions)"); return }
        #expect(at == t0 + .seconds(240))
        #expect(sm.state == .active && sm.grantedExpires == 600)
        #expect(sm.timerFired(generation: generation, now: at) == [refresh])
        // A 481 to that refresh: the notifier forgot the dialog; a new one is made at once.
        #expect(sm.replyReceived(SubscribeReply(statusCode: 481), now: at) == [.resetDialog, initial])
        #expect(sm.state == .establishing)
    }

    @Test func onePastItsRefreshPointOrWithAMovedContactIsRefreshedAtOnce() {
        var late = machine()
        #expect(late.resume(stored: .pending, grantedExpires: 600, remaining: 45, now: t0) == [refresh])
        #expect(late.state == .pending && late.isRequestInFlight)
        var moved = machine()
        #expect(moved.resume(stored: .active, grantedExpires: 600, remaining: 500, contactChanged: true, now: t0) == [refresh])
    }

    @Test func expiredUnestablishedOrWaitingOnesStartOverInANewDialog() {
        for (state, remaining) in [(SubscriptionMachine.State.active, 0), (.active, -30), (.establishing, 500), (.idle, 500)] {
            var sm = machine()
            #expect(sm.resume(stored: state, grantedExpires: 600, remaining: remaining, now: t0) == [.resetDialog, initial], "\(state) \(remaining)")
            #expect(sm.state == .establishing)
        }
        var unknown = machine()
        #expect(unknown.resume(stored: .active, grantedExpires: 600, remaining: nil, now: t0) == [.resetDialog, initial], "no dialog stored")
    }

    @Test func oneThatWasEndingIsUnsubscribedInItsDialogOrJustEnded() {
        var inForce = machine()
        #expect(inForce.resume(stored: .terminating, grantedExpires: 600, remaining: 200, now: t0) == [unsubscribe])
        #expect(inForce.replyReceived(SubscribeReply(statusCode: 200), now: t0) == [.reportTerminated(SubscriptionEnd(reason: "unsubscribed"))])
        var expired = machine()
        #expect(expired.resume(stored: .terminating, grantedExpires: 600, remaining: 0, now: t0) == [.reportTerminated(SubscriptionEnd(reason: "unsubscribed"))])
        #expect(expired.state == .terminated)
    }
}
