import SIPCore
import Testing
@testable import PUACore

/// The RFC 6665 subscriber machine as scripts: events in, actions out, time injected.
@Suite struct SubscriptionMachineTests {
    let t0 = ContinuousClock.now
    func at(_ seconds: Int) -> ContinuousClock.Instant { t0 + .seconds(seconds) }
    let initial = SubscriptionMachine.Action.sendSubscribe(SubscribeRequest(expires: 600, inDialog: false))
    let refresh = SubscriptionMachine.Action.sendSubscribe(SubscribeRequest(expires: 600, inDialog: true))
    let unsubscribe = SubscriptionMachine.Action.sendSubscribe(SubscribeRequest(expires: 0, inDialog: true))

    func machine() -> SubscriptionMachine {
        SubscriptionMachine(configuration: .init(refreshMargin: 10, backoffBase: .seconds(2), backoffCap: .seconds(30)), expires: 600)
    }

    /// A machine whose subscription is in force (2xx, then NOTIFY active), refresh armed with the returned generation.
    func established() -> (SubscriptionMachine, UInt64) {
        var sm = machine()
        _ = sm.start(now: t0)
        let actions = sm.replyReceived(SubscribeReply(statusCode: 200, expires: 600), now: t0)
        guard case .scheduleTimer(_, let generation) = actions.last else { preconditionFailure("\(actions)") }
        _ = sm.notifyReceived(SIPSubscriptionState(state: .active, expires: 600), now: t0)
        return (sm, generation)
    }

    @Test func aSubscriptionIsEstablishedRefreshedInDialogAndEnded() {
        var sm = machine()
        #expect(sm.start(now: t0) == [initial])
        #expect(sm.state == .establishing)
        // 200 with the granted Expires: refresh at 600 − max(10, 60) = 540 s.
        let actions = sm.replyReceived(SubscribeReply(statusCode: 200, expires: 600), now: t0)
        #expect(actions.dropLast() == [.reportState(.pending)])
        guard case .scheduleTimer(let when, let generation) = actions.last else { Issue.record("\(actions)"); return }
        #expect(when == at(540))
        #expect(sm.notifyReceived(SIPSubscriptionState(state: .active, expires: 600), now: t0) == [.reportState(.active)])
        #expect(sm.timerFired(generation: generation, now: at(540)) == [refresh])
        #expect(sm.timerFired(generation: generation, now: at(541)) == [], "a stale firing is dropped")
        let again = sm.replyReceived(SubscribeReply(statusCode: 200, expires: 300), now: at(541))
        guard case .scheduleTimer(let next, _) = again.last else { Issue.record("\(again)"); return }
        #expect(next == at(541 + 270), "300 s granted: refresh 30 s early")
        #expect(sm.unsubscribe(now: at(600)) == [unsubscribe])
        #expect(sm.state == .terminating)
        #expect(sm.replyReceived(SubscribeReply(statusCode: 200), now: at(601)) == [.reportTerminated(SubscriptionEnd(reason: "unsubscribed"))])
        #expect(sm.notifyReceived(SIPSubscriptionState(state: .terminated, reason: "timeout"), now: at(602)) == [], "ended: ignored")
    }

    @Test func aNotifyBeforeThe2xxEstablishesTheState() {
        var sm = machine()
        _ = sm.start(now: t0)
        #expect(sm.notifyReceived(SIPSubscriptionState(state: .active, expires: 600), now: t0) == [.reportState(.active)])
        let actions = sm.replyReceived(SubscribeReply(statusCode: 202, expires: 600), now: t0)
        #expect(actions.count == 1, "no pending report over the NOTIFY's active: \(actions)")
        #expect(sm.state == .active)
    }

    @Test func aNotifyCanShortenTheSubscriptionButNotLengthenIt() {
        var (sm, _) = established()
        let shorter = sm.notifyReceived(SIPSubscriptionState(state: .active, expires: 100), now: at(10))
        guard case .scheduleTimer(let when, _) = shorter.first else { Issue.record("\(shorter)"); return }
        #expect(when == at(10 + 90))
        #expect(sm.notifyReceived(SIPSubscriptionState(state: .active, expires: 900), now: at(20)) == [])
    }

    @Test(arguments: [481, 408])
    func aRefreshThatLostItsDialogRecreatesTheSubscription(code: Int) {
        var (sm, generation) = established()
        _ = sm.timerFired(generation: generation, now: at(540))
        #expect(sm.replyReceived(SubscribeReply(statusCode: code), now: at(541)) == [.resetDialog, initial])
        #expect(sm.state == .establishing)
    }

    @Test func aRefreshWithoutAnswerRecreatesTheSubscription() {
        var (sm, generation) = established()
        _ = sm.timerFired(generation: generation, now: at(540))
        #expect(sm.transactionFailed(now: at(572)) == [.resetDialog, initial])
    }

    @Test func intervalTooBriefAdoptsMinExpires() {
        var sm = machine()
        _ = sm.start(now: t0)
        #expect(sm.replyReceived(SubscribeReply(statusCode: 423, minExpires: 1800), now: t0) == [.sendSubscribe(SubscribeRequest(expires: 1800, inDialog: false))])
        #expect(sm.desiredExpires == 1800)
        // A 423 that asks for no more than was sent is final.
        #expect(sm.replyReceived(SubscribeReply(statusCode: 423, minExpires: 1800), now: t0) == [.reportTerminated(SubscriptionEnd(reason: "refused", statusCode: 423))])
    }

    @Test(arguments: [403, 489, 404])
    func finalFailuresEndIt(code: Int) {
        var sm = machine()
        _ = sm.start(now: t0)
        #expect(sm.replyReceived(SubscribeReply(statusCode: code), now: t0) == [.reportTerminated(SubscriptionEnd(reason: "refused", statusCode: code))])
        #expect(sm.state == .terminated)
        #expect(sm.start(now: t0) == [], "over for good")
    }

    @Test func transientFailuresOfANewSubscriptionBackOff() {
        var sm = machine()
        _ = sm.start(now: t0)
        var actions = sm.transactionFailed(now: at(32))
        #expect(actions.first == .resetDialog)
        guard case .scheduleTimer(let first, let generation) = actions.last else { Issue.record("\(actions)"); return }
        #expect(first == at(34) && sm.state == .idle)
        #expect(sm.timerFired(generation: generation, now: at(34)) == [initial])
        actions = sm.replyReceived(SubscribeReply(statusCode: 503, retryAfter: 20), now: at(35))
        guard case .scheduleTimer(let second, _) = actions.last else { Issue.record("\(actions)"); return }
        #expect(second == at(55), "Retry-After 20 s beats the 4 s backoff")
    }

    @Test(arguments: ["deactivated", "timeout"])
    func aTerminatingNotifyThatInvitesItResubscribes(reason: String) {
        var (sm, _) = established()
        #expect(sm.notifyReceived(SIPSubscriptionState(state: .terminated, reason: reason), now: at(100)) == [.resetDialog, initial])
        var (later, _) = established()
        let actions = later.notifyReceived(SIPSubscriptionState(state: .terminated, reason: reason, retryAfter: 30), now: at(100))
        guard case .scheduleTimer(let when, let generation) = actions.last else { Issue.record("\(actions)"); return }
        #expect(actions.first == .resetDialog && when == at(130))
        #expect(later.timerFired(generation: generation, now: at(130)) == [initial])
    }

    @Test func probationWaitsForRetryAfterOrTheBackoff() {
        var (sm, _) = established()
        let actions = sm.notifyReceived(SIPSubscriptionState(state: .terminated, reason: "probation"), now: at(100))
        guard case .scheduleTimer(let when, _) = actions.last else { Issue.record("\(actions)"); return }
        #expect(when == at(102))
    }

    @Test(arguments: ["rejected", "noresource", "giveup", "invariant"])
    func aTerminatingNotifyThatClosesItEndsIt(reason: String) {
        var (sm, _) = established()
        #expect(sm.notifyReceived(SIPSubscriptionState(state: .terminated, reason: reason), now: at(100)) == [.reportTerminated(SubscriptionEnd(reason: reason))])
    }

    @Test func anUnsubscribeAskedDuringARefreshGoesOutAfterItsReply() {
        var (sm, generation) = established()
        _ = sm.timerFired(generation: generation, now: at(540))
        #expect(sm.unsubscribe(now: at(540)) == [])
        #expect(sm.replyReceived(SubscribeReply(statusCode: 200, expires: 600), now: at(541)) == [unsubscribe])
        #expect(sm.notifyReceived(SIPSubscriptionState(state: .terminated, reason: "timeout"), now: at(541)) == [], "the unsubscribe is still out")
        #expect(sm.replyReceived(SubscribeReply(statusCode: 481), now: at(542)) == [.reportTerminated(SubscriptionEnd(reason: "unsubscribed", statusCode: 481))])
    }

    @Test func anUnknownSubscriptionStateChangesNothing() {
        var (sm, _) = established()
        #expect(sm.notifyReceived(SIPSubscriptionState(state: .other("waiting")), now: at(5)) == [])
        #expect(sm.state == .active)
    }
}
