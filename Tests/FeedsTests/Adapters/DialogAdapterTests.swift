import PUACore
import PresenceDocuments
import SIPCore
import Testing
@testable import Feeds

@Suite struct DialogAdapterTests {
    let alice = SIPURI(user: "201", host: "pbx")
    let bob = SIPURI(user: "202", host: "pbx")
    let t0 = 1_790_000_000.0

    func call(_ state: DialogInfoDocument.State, id: String = "call-1", seq: UInt64? = nil, line: DialogEvent.Line? = nil) -> DialogEvent {
        DialogEvent(state: state, callID: id, from: alice, to: bob, fromTag: "ft-\(id)", toTag: state == .trying ? nil : "tt-\(id)",
                    fromDisplay: "Alice", toDisplay: "Bob", callerTarget: "sip:201@192.0.2.10", line: line, order: EventOrder(seq: seq))
    }

    func documents(_ actions: [FeedAction]) throws -> [String: String] {
        var bodies: [String: String] = [:]
        for publication in FeedsTestSupport.publications(actions) {
            let body = FeedsTestSupport.body(publication)
            if !body.isEmpty { try FeedsTestSupport.dialogInfo.validate(Array(body.utf8)) }
            bodies["\(publication.event) \(publication.presentity)"] = body
        }
        return bodies
    }

    func state(_ body: String?) -> [String] {
        (body ?? "").components(separatedBy: "<state>").dropFirst().map { String($0.prefix { $0 != "<" }) }
    }

    @Test func aCallThroughEveryStateLightsBothLampsThenGoesIdleAndAway() throws {
        var adapter = DialogAdapter()
        let aliceKey = "dialog \(alice)", bobKey = "dialog \(bob)"
        // trying is not published by default (publish_on_trying off).
        #expect(FeedsTestSupport.publications(adapter.eventReceived(call(.trying), now: t0)).isEmpty)

        var docs = try documents(adapter.eventReceived(call(.early), now: t0 + 1))
        #expect(docs.count == 2)
        #expect(state(docs[aliceKey]) == ["early"])
        #expect(docs[aliceKey]?.contains("direction=\"initiator\"") == true)
        #expect(docs[bobKey]?.contains("direction=\"recipient\"") == true)
        #expect(docs[aliceKey]?.contains("local-tag=\"ft-call-1\" remote-tag=\"tt-call-1\"") == true)
        #expect(docs[bobKey]?.contains("local-tag=\"tt-call-1\" remote-tag=\"ft-call-1\"") == true)
        #expect(docs[aliceKey]?.contains("<local><identity display-name=\"Alice\">sip:201@pbx</identity><target uri=\"sip:201@192.0.2.10\"/></local>") == true)

        docs = try documents(adapter.eventReceived(call(.confirmed), now: t0 + 5))
        #expect(state(docs[bobKey]) == ["confirmed"])
        #expect(docs[bobKey]?.contains("<duration>0</duration>") == true)

        let ending = adapter.eventReceived(call(.terminated), now: t0 + 65)
        docs = try documents(ending)
        #expect(state(docs[aliceKey]) == ["terminated"], "published once as terminated")
        #expect(ending.contains(.scheduleCheck(key: aliceKey, at: t0 + 67)))
        #expect(adapter.activeDialogCount == 0)

        // Then the idle document (no dialogs), then the publication goes.
        #expect(adapter.checkDue(aliceKey, now: t0 + 66) == [.scheduleCheck(key: aliceKey, at: t0 + 67)], "not yet: asked again")
        let idle = adapter.checkDue(aliceKey, now: t0 + 67)
        docs = try documents(idle)
        #expect(docs[aliceKey]?.contains("<dialog ") == false)
        #expect(idle.contains(.scheduleCheck(key: aliceKey, at: t0 + 667)))
        let removal = FeedsTestSupport.publications(adapter.checkDue(aliceKey, now: t0 + 667))
        #expect(removal.map(\.expires) == [0])
        #expect(removal.first?.event == "dialog")
        #expect(adapter.checkDue(aliceKey, now: t0 + 700).isEmpty)
    }

    @Test func aCheckAsksAgainForWhatIsStillPending() {
        // The check queue keeps one check per presentity (the earliest): a check that finds nothing due yet
        // must ask again for the dialog still setting up (its watchdog), or a stuck call would never be ended.
        var adapter = DialogAdapter()
        let aliceKey = "dialog \(alice)"
        _ = adapter.eventReceived(call(.early, seq: 1), now: t0)
        _ = adapter.eventReceived(call(.early, seq: 2), now: t0 + 100)  // a later event: its watchdog at t0 + 220
        #expect(adapter.checkDue(aliceKey, now: t0 + 120) == [.scheduleCheck(key: aliceKey, at: t0 + 220)])
        let ended = adapter.checkDue(aliceKey, now: t0 + 220)
        #expect(FeedsTestSupport.publications(ended).count == 2, "caller and callee: stuck, ended")
        #expect(ended.contains(.scheduleCheck(key: aliceKey, at: t0 + 222)), "then the idle document")
    }

    @Test func earlyAfterTerminatedCannotRelightTheLamp() {
        var adapter = DialogAdapter()
        _ = adapter.eventReceived(call(.early, seq: 1), now: t0)
        _ = adapter.eventReceived(call(.terminated, seq: 3), now: t0 + 1)
        #expect(adapter.eventReceived(call(.early, seq: 2), now: t0 + 2) == [.dropStale(key: "call-1;ft-call-1")])
        #expect(adapter.eventReceived(call(.early, seq: 4), now: t0 + 3) == [.dropStale(key: "call-1;ft-call-1")], "an ended dialog stays ended")
        // And out of order before the end: confirmed (seq 5) then early (seq 4) keeps confirmed.
        _ = adapter.eventReceived(call(.confirmed, id: "call-2", seq: 5), now: t0 + 4)
        #expect(adapter.eventReceived(call(.early, id: "call-2", seq: 4), now: t0 + 5) == [.dropStale(key: "call-2;ft-call-2")])
    }

    @Test func allDialogsOfAPresentityGoInOneDocument() throws {
        var adapter = DialogAdapter()
        _ = adapter.eventReceived(call(.confirmed, id: "a"), now: t0)
        let docs = try documents(adapter.eventReceived(call(.early, id: "b"), now: t0 + 1))
        #expect(state(docs["dialog \(alice)"]) == ["confirmed", "early"])
    }

    @Test func theWatchdogEndsDialogsStuckBeforeConfirmed() throws {
        var adapter = DialogAdapter(options: .init(stuckAfter: 30))
        let actions = adapter.eventReceived(call(.early), now: t0)
        #expect(actions.contains(.scheduleCheck(key: "dialog \(alice)", at: t0 + 30)))
        #expect(FeedsTestSupport.publications(adapter.checkDue("dialog \(alice)", now: t0 + 29)).isEmpty)
        let docs = try documents(adapter.checkDue("dialog \(alice)", now: t0 + 30))
        #expect(state(docs["dialog \(alice)"]) == ["terminated"])
        #expect(state(docs["dialog \(bob)"]) == ["terminated"], "both sides end")
        #expect(adapter.activeDialogCount == 0)
    }

    @Test func optionsAsPuaDialoginfo() throws {
        var adapter = DialogAdapter(options: .init(includeCallID: false, includeTags: false, includeLocalRemote: false,
                                                  publishCallee: false, publishOnTrying: true, overrideLifetime: 300))
        let publications = FeedsTestSupport.publications(adapter.eventReceived(call(.trying), now: t0))
        #expect(publications.map(\.presentity) == [alice])
        #expect(publications.first?.expires == 300)
        let body = FeedsTestSupport.body(publications.first)
        try FeedsTestSupport.dialogInfo.validate(Array(body.utf8))
        #expect(!body.contains("call-id="))
        #expect(!body.contains("local-tag="))
        #expect(!body.contains("<local>"))
        #expect(state(body) == ["trying"])
    }

    @Test func sharedLinesPublishDialogSLAWithTheAppearance() throws {
        var adapter = DialogAdapter()
        let line = SIPURI(user: "line1", host: "pbx")
        let actions = adapter.eventReceived(call(.confirmed, line: .init(aor: line, appearance: 2)), now: t0)
        let sla = try #require(FeedsTestSupport.publications(actions).first { $0.event == "dialog;sla" })
        #expect(sla.presentity == line)
        #expect(sla.source == .sharedLines)
        let body = FeedsTestSupport.body(sla)
        try FeedsTestSupport.dialogInfo.validate(Array(body.utf8))
        #expect(body.contains("<param pname=\"x-line-index\" pval=\"2\"/>"))
        #expect(body.contains("entity=\"sip:line1@pbx\""))
    }
}

@Suite struct MessageSummaryAdapterTests {
    @Test func countsBecomeMessageSummaryAndStaleOnesAreDropped() {
        var adapter = MessageSummaryAdapter(lifetime: 600)
        let aor = SIPURI(user: "201", host: "pbx")
        let publication = FeedsTestSupport.publications(adapter.eventReceived(
            MessageSummaryEvent(aor: aor, newMessages: 1, oldMessages: 4, order: EventOrder(seq: 2))))
        #expect(publication.map(\.event) == ["message-summary"])
        #expect(publication.first?.contentType == "application/simple-message-summary")
        #expect(FeedsTestSupport.body(publication.first) == "Messages-Waiting: yes\r\nMessage-Account: sip:201@pbx\r\nVoice-Message: 1/4 (0/0)\r\n")
        #expect(adapter.eventReceived(MessageSummaryEvent(aor: aor, newMessages: 9, oldMessages: 0, order: EventOrder(seq: 1)))
            == [.dropStale(key: "sip:201@pbx")])
    }
}
