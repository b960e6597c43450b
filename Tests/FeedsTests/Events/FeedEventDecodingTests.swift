import SIPCore
import Testing
@testable import Feeds

@Suite struct FeedEventDecodingTests {
    func decode(_ json: String, _ feed: FeedKind) throws(FeedEventError) -> FeedEvent {
        try FeedEvent.decode(Array(json.utf8), feed: feed)
    }

    func expectError(_ json: String, _ feed: FeedKind, _ reason: FeedEventError.Reason, field: String?) {
        do {
            _ = try decode(json, feed)
            Issue.record("accepted \(json)")
        } catch {
            #expect(error.reason == reason, "\(error)")
            #expect(error.field == field, "\(error)")
            #expect(error.feed == feed)
            #expect(error.description.hasPrefix("\(feed) feed: \(reason.rawValue)"))
        }
    }

    @Test func aRegistrationWithEveryField() throws {
        let event = try decode("""
            {"event":"contact-insert","aor":"sip:201@pbx.example.com","contact":"<sip:201@192.0.2.10:5060;transport=udp>",
             "expires":3600,"callid":"c1","user_agent":"Yealink","received":"sip:198.51.100.1:5060","q":0.8,
             "instance":"<urn:uuid:1>","timestamp":1790000000.5,"seq":7}
            """, .registrations)
        guard case .registration(let registration) = event else { Issue.record("\(event)"); return }
        #expect(registration.kind == .insert)
        #expect(registration.aor == SIPURI(user: "201", host: "pbx.example.com"))
        #expect(registration.contact == "sip:201@192.0.2.10:5060;transport=udp")
        #expect(registration.expires == 3600)
        #expect(registration.q == 0.8)
        #expect(registration.order == EventOrder(timestamp: 1_790_000_000.5, seq: 7))
    }

    @Test func dialogsAndVoicemail() throws {
        let dialog = try decode("""
            {"state":"early","callid":"abc","from":"sip:201@pbx","to":"sip:202@pbx","from_tag":"ft",
             "line":{"aor":"sip:line1@pbx","appearance":2}}
            """, .dialogs)
        #expect(dialog == .dialog(DialogEvent(
            state: .early, callID: "abc", from: SIPURI(user: "201", host: "pbx"), to: SIPURI(user: "202", host: "pbx"),
            fromTag: "ft", line: .init(aor: SIPURI(user: "line1", host: "pbx"), appearance: 2))))
        let mwi = try decode(#"{"aor":"sip:201@pbx","new":2,"old":5}"#, .mwi)
        #expect(mwi == .messageSummary(MessageSummaryEvent(aor: SIPURI(user: "201", host: "pbx"), newMessages: 2, oldMessages: 5)))
    }

    @Test func everyRejectionNamesFeedFieldAndReason() {
        expectError("{not json", .registrations, .invalidJSON, field: nil)
        expectError("[1,2]", .dialogs, .notAnObject, field: nil)
        expectError(#"{"aor":"sip:a@b","contact":"sip:c@d","expires":60}"#, .registrations, .missingField, field: "event")
        expectError(#"{"event":"contact-dance","aor":"sip:a@b","contact":"sip:c@d"}"#, .registrations, .unknownEvent, field: "event")
        expectError(#"{"event":"contact-insert","aor":"sip:a@b","contact":"sip:c@d"}"#, .registrations, .missingField, field: "expires")
        expectError(#"{"event":"contact-insert","aor":"sip:a@b","contact":"sip:c@d","expires":"60"}"#, .registrations, .wrongType, field: "expires")
        expectError(#"{"event":"contact-insert","aor":"sip:a@b","contact":"sip:c@d","expires":1.5}"#, .registrations, .wrongType, field: "expires")
        expectError(#"{"event":"contact-insert","aor":"sip:a@b","contact":"sip:c@d","expires":-1}"#, .registrations, .invalidValue, field: "expires")
        expectError(#"{"event":"contact-delete","aor":"mailto:a@b","contact":"sip:c@d"}"#, .registrations, .invalidURI, field: "aor")
        expectError(#"{"event":"contact-delete","aor":"201","contact":"sip:c@d"}"#, .registrations, .invalidURI, field: "aor")
        expectError(#"{"event":"contact-delete","aor":"sip:a@b","contact":"sip:c@d","q":2}"#, .registrations, .invalidValue, field: "q")
        expectError(#"{"state":"ringing","callid":"x","from":"sip:a@b","to":"sip:c@d","from_tag":"t"}"#, .dialogs, .unknownEvent, field: "state")
        expectError(#"{"state":"early","callid":"x","from":"sip:a@b","to":"sip:c@d","from_tag":"t","line":{"aor":"sip:l@b","appearance":0}}"#,
                    .dialogs, .invalidValue, field: "line.appearance")
        expectError(#"{"state":"early","callid":"x","from":"sip:a@b","to":"sip:c@d","from_tag":"t","line":"l1"}"#, .dialogs, .wrongType, field: "line")
        expectError(#"{"aor":"sip:a@b","new":1}"#, .mwi, .missingField, field: "old")
        expectError(#"{"aor":"sip:\#(String(repeating: "x", count: 2000))@b","new":1,"old":0}"#, .mwi, .invalidValue, field: "aor")
        expectError(#"{"state":"early","callid":"\#(String(repeating: "x", count: 2000))","from":"sip:a@b","to":"sip:c@d","from_tag":"t"}"#,
                    .dialogs, .invalidValue, field: "callid")
        expectError("{\"aor\":\"" + String(repeating: "a", count: 20_000) + "\"}", .mwi, .oversized, field: nil)
    }

    @Test func olderMeansLowerSeqElseEarlierTimestamp() {
        #expect(EventOrder(timestamp: 10, seq: 1).isOlder(than: EventOrder(timestamp: 5, seq: 2)))
        #expect(!EventOrder(timestamp: 5, seq: 3).isOlder(than: EventOrder(timestamp: 10, seq: 2)))
        #expect(EventOrder(timestamp: 5).isOlder(than: EventOrder(timestamp: 6, seq: 1)))
        #expect(!EventOrder().isOlder(than: EventOrder(timestamp: 6, seq: 1)))
        #expect(!EventOrder(seq: 4).isOlder(than: EventOrder(seq: 4)), "a repeat is not older")
    }
}
