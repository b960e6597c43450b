import PUACore
import PresenceDocuments
import SIPCore
import Testing
@testable import Feeds

/// The dialog adapter's state across a restart.
@Suite struct DialogAdapterStateTests {
    let alice = SIPURI(user: "201", host: "pbx")
    let bob = SIPURI(user: "202", host: "pbx")
    let carol = SIPURI(user: "203", host: "pbx")
    let t0 = 1_790_000_000.0

    func call(_ state: DialogInfoDocument.State, id: String, to: SIPURI? = nil, seq: UInt64? = nil) -> DialogEvent {
        DialogEvent(state: state, callID: id, from: alice, to: to ?? bob, fromTag: "ft-\(id)", toTag: state == .trying ? nil : "tt-\(id)",
                    order: EventOrder(seq: seq))
    }

    func states(_ actions: [FeedAction], _ presentity: SIPURI) -> [String]? {
        FeedsTestSupport.publications(actions).last { $0.presentity == presentity }.map {
            FeedsTestSupport.body($0).components(separatedBy: "<state>").dropFirst().map { String($0.prefix { $0 != "<" }) }
        }
    }

    func restart(_ adapter: inout DialogAdapter, options: DialogAdapter.Options = .init()) throws -> DialogAdapter {
        let records = adapter.takeStateChanges().write
        var fresh = DialogAdapter(options: options)
        for record in records { try fresh.restore(record) }
        return fresh
    }

    @Test func aHangUpAfterARestartLeavesTheOtherCallShowing() throws {
        var adapter = DialogAdapter()
        _ = adapter.eventReceived(call(.confirmed, id: "a"), now: t0)
        _ = adapter.eventReceived(call(.confirmed, id: "b", to: carol), now: t0 + 1)
        var fresh = try restart(&adapter)
        #expect(fresh.dialogs == adapter.dialogs && fresh.presentities == adapter.presentities)
        let resumed = fresh.resume(now: t0 + 30)
        #expect(states(resumed, alice) == ["confirmed", "confirmed"])
        let actions = fresh.eventReceived(call(.terminated, id: "a", seq: 9), now: t0 + 31)
        #expect(states(actions, alice) == ["terminated", "confirmed"], "call b is still up (dialogs in call-id order)")
        #expect(states(actions, bob) == ["terminated"])
        // A late event of the ended call stays dropped, also after another restart.
        var again = try restart(&fresh)
        _ = again.resume(now: t0 + 40)
        #expect(again.eventReceived(call(.early, id: "a"), now: t0 + 41) == [.dropStale(key: "a;ft-a")])
    }

    @Test func theWatchdogIsReArmedForUnansweredDialogs() throws {
        var adapter = DialogAdapter(options: .init(stuckAfter: 120))
        _ = adapter.eventReceived(call(.early, id: "a"), now: t0)
        var fresh = try restart(&adapter, options: .init(stuckAfter: 120))
        let actions = fresh.resume(now: t0 + 30)
        #expect(actions.contains(.scheduleCheck(key: "dialog \(alice)", at: t0 + 120)))
        #expect(states(fresh.checkDue("dialog \(alice)", now: t0 + 120), alice) == ["terminated"])
    }

    @Test func aPresentityBetweenHangUpAndIdleGoesIdleAfterTheRestart() throws {
        var adapter = DialogAdapter(options: .init(idleAfter: 2))
        _ = adapter.eventReceived(call(.confirmed, id: "a"), now: t0)
        _ = adapter.eventReceived(call(.terminated, id: "a"), now: t0 + 5)
        var fresh = try restart(&adapter, options: .init(idleAfter: 2))
        let actions = fresh.resume(now: t0 + 6)
        #expect(FeedsTestSupport.publications(actions).isEmpty)
        #expect(actions.contains(.scheduleCheck(key: "dialog \(alice)", at: t0 + 7)))
        #expect(states(fresh.checkDue("dialog \(alice)", now: t0 + 7), alice) == [], "the idle document")
    }

    @Test func endedDialogsAreWrittenAsTombstonesAndForgottenLater() {
        var adapter = DialogAdapter(options: .init(tombstoneLifetime: 10))
        _ = adapter.eventReceived(call(.confirmed, id: "a"), now: t0)
        _ = adapter.eventReceived(call(.terminated, id: "a"), now: t0 + 1)
        let first = adapter.takeStateChanges()
        let tombstone = first.write.first { $0.feed == "dialogs" }
        #expect(tombstone.map { String(decoding: $0.state, as: UTF8.self) } == #"{"endedAt":1790000001}"#)
        _ = adapter.eventReceived(call(.confirmed, id: "b"), now: t0 + 20)
        _ = adapter.eventReceived(call(.terminated, id: "b"), now: t0 + 21)
        #expect(adapter.takeStateChanges().delete.contains(FeedStateKey(feed: "dialogs", key: "a;ft-a")), "past its lifetime")
    }

    @Test func entriesOfAnotherKeyOrTableAreRefused() {
        var adapter = DialogAdapter()
        #expect(throws: FeedStateError.self) {
            try adapter.restore(FeedStateRecord(feed: "dialogs", key: "x;y", state: Array("{}".utf8)))
        }
        #expect(throws: FeedStateError.self) {
            try adapter.restore(FeedStateRecord(feed: "registrations", key: "x", state: Array("{}".utf8)))
        }
    }
}
