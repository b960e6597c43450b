import PUACore
import PresenceDocuments
import SIPCore
import Testing
@testable import Feeds

@Suite struct RegistrationAdapterTests {
    let aor = SIPURI(user: "201", host: "pbx.example.com")
    let t0 = 1_790_000_000.0

    func event(_ kind: RegistrationEvent.Kind, _ contact: String, expires: Int? = nil, q: Double? = nil, seq: UInt64? = nil) -> RegistrationEvent {
        RegistrationEvent(kind: kind, aor: aor, contact: contact, expires: expires, q: q, order: EventOrder(seq: seq))
    }

    func only(_ actions: [FeedAction]) throws -> PublishParameters {
        let publications = FeedsTestSupport.publications(actions)
        #expect(publications.count == 1)
        return try #require(publications.first)
    }

    @Test func contactsLightTheLampAndTheLastOneToGoDarkensIt() throws {
        var adapter = RegistrationAdapter(configuration: .init(minExpires: 60, defaultExpires: 3600))
        var actions = adapter.eventReceived(event(.insert, "sip:201@192.0.2.10", expires: 600, q: 0.5), now: t0)
        var publication = try only(actions)
        #expect(publication.presentity == aor)
        #expect(publication.event == "presence")
        #expect(publication.expires == 600)
        #expect(publication.source == .registrations)
        var body = FeedsTestSupport.body(publication)
        try FeedsTestSupport.pidf.validate(Array(body.utf8))
        #expect(body.contains("<basic>open</basic>"))
        #expect(body.contains("<contact priority=\"0.5\">sip:201@192.0.2.10</contact>"))
        #expect(actions.contains(.scheduleCheck(key: aor.description, at: t0 + 600)))

        // A second device: two tuples, each with its stable id; the lifetime follows the longest.
        actions = adapter.eventReceived(event(.insert, "sip:201@192.0.2.11", expires: 7200), now: t0 + 10)
        publication = try only(actions)
        body = FeedsTestSupport.body(publication)
        try FeedsTestSupport.pidf.validate(Array(body.utf8))
        #expect(body.components(separatedBy: "<tuple ").count == 3)
        #expect(publication.expires == 3600, "bounded by default_expires")
        let firstID = try #require(PIDFDocument(parsing: Array(body.utf8)).tuples.first { $0.contact == "sip:201@192.0.2.10" }?.id)
        #expect(firstID == StableID.make(prefix: "c", "sip:201@192.0.2.10"))

        // Deleting one keeps the lamp open; deleting the last closes it.
        _ = adapter.eventReceived(event(.delete, "sip:201@192.0.2.10"), now: t0 + 20)
        actions = adapter.eventReceived(event(.expire, "sip:201@192.0.2.11"), now: t0 + 30)
        body = FeedsTestSupport.body(try only(actions))
        try FeedsTestSupport.pidf.validate(Array(body.utf8))
        #expect(body.contains("<basic>closed</basic>"))
        #expect(!body.contains("<basic>open</basic>"))
        #expect(adapter.registeredCount == 0)
    }

    @Test func aContactThatSilentlyPassesItsExpiryIsClosed() throws {
        var adapter = RegistrationAdapter()
        _ = adapter.eventReceived(event(.insert, "sip:201@192.0.2.10", expires: 120), now: t0)
        #expect(adapter.checkDue(aor.description, now: t0 + 60) == [.scheduleCheck(key: aor.description, at: t0 + 120)], "not yet")
        let body = FeedsTestSupport.body(try only(adapter.checkDue(aor.description, now: t0 + 120)))
        #expect(body.contains("<basic>closed</basic>"))
        #expect(adapter.checkDue(aor.description, now: t0 + 200).isEmpty, "nothing left to expire")
    }

    @Test func anUpdateRefreshesTheExpiryAndExpiresZeroRemoves() throws {
        var adapter = RegistrationAdapter()
        _ = adapter.eventReceived(event(.insert, "sip:201@192.0.2.10", expires: 120), now: t0)
        _ = adapter.eventReceived(event(.update, "sip:201@192.0.2.10", expires: 120), now: t0 + 100)
        #expect(adapter.checkDue(aor.description, now: t0 + 130) == [.scheduleCheck(key: aor.description, at: t0 + 220)])
        let body = FeedsTestSupport.body(try only(adapter.eventReceived(event(.update, "sip:201@192.0.2.10", expires: 0), now: t0 + 140)))
        #expect(body.contains("<basic>closed</basic>"))
    }

    @Test func anOlderEventCannotBringADeletedContactBack() throws {
        var adapter = RegistrationAdapter()
        _ = adapter.eventReceived(event(.insert, "sip:201@192.0.2.10", expires: 600, seq: 1), now: t0)
        _ = adapter.eventReceived(event(.delete, "sip:201@192.0.2.10", seq: 3), now: t0 + 1)
        let late = adapter.eventReceived(event(.update, "sip:201@192.0.2.10", expires: 600, seq: 2), now: t0 + 2)
        #expect(late == [.dropStale(key: "\(aor) sip:201@192.0.2.10")])
        #expect(adapter.contacts(of: aor.description).isEmpty)
        // A newer one does.
        _ = adapter.eventReceived(event(.insert, "sip:201@192.0.2.10", expires: 600, seq: 4), now: t0 + 3)
        #expect(adapter.contacts(of: aor.description) == ["sip:201@192.0.2.10"])
    }

    @Test func qValuesAreWrittenAsRFC3261Writes() {
        #expect(RegistrationAdapter.qValue(1) == "1")
        #expect(RegistrationAdapter.qValue(0.5) == "0.5")
        #expect(RegistrationAdapter.qValue(0.125) == "0.125")
        #expect(RegistrationAdapter.qValue(0) == "0.0")
    }
}
