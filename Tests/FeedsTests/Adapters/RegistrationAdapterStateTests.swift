import PUACore
import PresenceDocuments
import SIPCore
import Testing
@testable import Feeds

/// The registration adapter's state across a restart: what it writes, and what a fresh adapter does with it.
@Suite struct RegistrationAdapterStateTests {
    let aor = SIPURI(user: "201", host: "pbx.example.com")
    let t0 = 1_790_000_000.0

    func event(_ kind: RegistrationEvent.Kind, _ contact: String, expires: Int? = nil, seq: UInt64? = nil) -> RegistrationEvent {
        RegistrationEvent(kind: kind, aor: aor, contact: contact, expires: expires, order: EventOrder(seq: seq))
    }

    /// An adapter with two registered phones, and the state it wrote.
    func twoPhones() -> (RegistrationAdapter, [FeedStateRecord]) {
        var adapter = RegistrationAdapter()
        _ = adapter.eventReceived(event(.insert, "sip:201@192.0.2.10", expires: 600, seq: 1), now: t0)
        _ = adapter.eventReceived(event(.insert, "sip:201@192.0.2.11", expires: 3600, seq: 2), now: t0)
        let changes = adapter.takeStateChanges()
        return (adapter, changes.write)
    }

    func restored(_ records: [FeedStateRecord]) throws -> RegistrationAdapter {
        var adapter = RegistrationAdapter()
        for record in records { try adapter.restore(record) }
        return adapter
    }

    @Test func changedAORsAreWrittenOnceAsJSON() throws {
        var (adapter, written) = twoPhones()
        #expect(written.map(\.id) == [FeedStateKey(feed: "registrations", key: aor.description)])
        let json = String(decoding: try #require(written.first).state, as: UTF8.self)
        #expect(json.contains("\"sip:201@192.0.2.10\"") && json.contains("\"expiresAt\":1790000600"))
        #expect(adapter.takeStateChanges().write.isEmpty, "nothing changed since")
        // A check that changes nothing writes nothing.
        _ = adapter.checkDue(aor.description, now: t0 + 10)
        #expect(adapter.takeStateChanges().write.isEmpty)
    }

    @Test func anUnregisterAfterARestartKeepsTheOtherPhoneLit() throws {
        let (before, records) = twoPhones()
        var adapter = try restored(records)
        #expect(adapter.aors == before.aors)
        // Resuming republishes the same document the engine recovered (it sends nothing for a repeat).
        let resumed = FeedsTestSupport.publications(adapter.resume(now: t0 + 60))
        #expect(resumed.count == 1)
        #expect(FeedsTestSupport.body(resumed.first).contains("<basic>open</basic>"))
        let body = FeedsTestSupport.body(FeedsTestSupport.publications(adapter.eventReceived(event(.delete, "sip:201@192.0.2.10", seq: 3), now: t0 + 61)).first)
        #expect(body.contains("<basic>open</basic>") && body.contains("sip:201@192.0.2.11") && !body.contains("192.0.2.10"))
        // The last one going darkens the lamp.
        let last = FeedsTestSupport.body(FeedsTestSupport.publications(adapter.eventReceived(event(.delete, "sip:201@192.0.2.11", seq: 4), now: t0 + 62)).first)
        #expect(last.contains("<basic>closed</basic>"))
    }

    @Test func contactsThatExpiredWhileDownAreDroppedOnResume() throws {
        let (_, records) = twoPhones()
        var adapter = try restored(records)
        let actions = adapter.resume(now: t0 + 4000)
        let body = FeedsTestSupport.body(FeedsTestSupport.publications(actions).first)
        #expect(body.contains("<basic>closed</basic>"))
        // Contacts and their order stamps are all past; the entry goes.
        #expect(adapter.takeStateChanges().delete == [FeedStateKey(feed: "registrations", key: aor.description)])
    }

    @Test func anOlderEventReplayedAfterARestartIsStillStale() throws {
        let (_, records) = twoPhones()
        var adapter = try restored(records)
        _ = adapter.resume(now: t0 + 1)
        #expect(adapter.eventReceived(event(.delete, "sip:201@192.0.2.11", seq: 1), now: t0 + 2) == [.dropStale(key: "\(aor) sip:201@192.0.2.11")])
    }

    @Test func anAORWithNothingLeftIsDeleted() {
        var adapter = RegistrationAdapter(configuration: .init(tombstoneLifetime: 10))
        _ = adapter.eventReceived(event(.insert, "sip:201@192.0.2.10", expires: 600), now: t0)
        _ = adapter.eventReceived(event(.delete, "sip:201@192.0.2.10"), now: t0 + 1)
        #expect(adapter.takeStateChanges().write.count == 1, "the deleted contact's stamp is kept a while")
        _ = adapter.checkDue(aor.description, now: t0 + 20)
        #expect(adapter.takeStateChanges().delete == [FeedStateKey(feed: "registrations", key: aor.description)])
    }

    @Test func aBrokenEntryIsRefusedNamingItsKey() {
        var adapter = RegistrationAdapter()
        #expect(throws: FeedStateError.self) {
            try adapter.restore(FeedStateRecord(feed: "registrations", key: "sip:x@pbx", state: Array("{\"uri\":".utf8)))
        }
        do {
            try adapter.restore(FeedStateRecord(feed: "registrations", key: "sip:x@pbx", state: Array(#"{"uri":"sip:y@pbx","contacts":{},"stamps":{}}"#.utf8)))
            Issue.record("an entry filed under another AOR was accepted")
        } catch {
            #expect(error.key == "sip:x@pbx" && error.context.contains("sip:y@pbx"))
        }
        #expect(adapter.aors.isEmpty)
    }
}
