import Foundation
import Testing
@testable import PresenceDocuments

@Suite struct DialogInfoDocumentTests {
    static func schema() throws -> XMLSchema {
        try XMLSchema(path: PIDFDocumentTests.resources.appendingPathComponent("xsd/dialog-info.xsd").path)
    }

    @Test func everyStateValidatesAgainstRFC4235() throws {
        let schema = try Self.schema()
        for state in DialogInfoDocument.State.allCases {
            let document = DialogInfoDocument(entity: "sip:201@pbx.example.com", version: 7, dialogs: [
                .init(id: "d1", callID: "abc@host", localTag: "lt", remoteTag: "rt", direction: .initiator, state: state, duration: 12,
                      local: .init(identity: "sip:201@pbx.example.com", displayName: "Reception", target: "sip:201@192.0.2.10"),
                      remote: .init(identity: "sip:202@pbx.example.com", displayName: "Bob & Co")),
            ])
            let xml = document.xml()
            try schema.validate(Array(xml.utf8))
            #expect(xml.contains("<state>\(state.rawValue)</state>"))
            #expect(xml.contains("version=\"7\" state=\"full\""))
            #expect(xml.contains("<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\""))
            #expect(xml.contains("display-name=\"Bob &amp; Co\""))
        }
    }

    @Test func anIdlePresentityHasNoDialogs() throws {
        let xml = DialogInfoDocument(entity: "sip:203@pbx.example.com", dialogs: []).xml()
        try Self.schema().validate(Array(xml.utf8))
        #expect(!xml.contains("<dialog "))
    }

    @Test func lineAppearancesAreTargetParameters() throws {
        let document = DialogInfoDocument(entity: "sip:line1@pbx.example.com", dialogs: [
            .init(id: "d1", direction: .recipient, state: .confirmed,
                  local: .init(identity: "sip:line1@pbx.example.com", target: "sip:line1@pbx.example.com",
                               targetParameters: [(name: "x-line-index", value: "2")])),
        ])
        let xml = document.xml()
        try Self.schema().validate(Array(xml.utf8))
        #expect(xml.contains("<target uri=\"sip:line1@pbx.example.com\"><param pname=\"x-line-index\" pval=\"2\"/></target>"))
    }
}

@Suite struct MessageSummaryDocumentTests {
    @Test func writesRFC3842Lines() {
        let waiting = MessageSummaryDocument(account: "sip:201@pbx.example.com", newMessages: 2, oldMessages: 8, urgentNew: 0, urgentOld: 2)
        #expect(waiting.text() == "Messages-Waiting: yes\r\nMessage-Account: sip:201@pbx.example.com\r\nVoice-Message: 2/8 (0/2)\r\n")
        let none = MessageSummaryDocument(account: "sip:201@pbx.example.com", newMessages: 0, oldMessages: 3)
        #expect(none.text().hasPrefix("Messages-Waiting: no\r\n"))
        #expect(MessageSummaryDocument(account: "a", newMessages: 0, oldMessages: 0, urgentNew: 1).messagesWaiting)
    }
}

@Suite struct DialogInfoDocumentParsingTests {
    @Test func whatIsWrittenParsesBackEqual() throws {
        let written = DialogInfoDocument(entity: "sip:201@pbx", version: 7, dialogs: [
            .init(id: "a", callID: "c1", localTag: "l", remoteTag: "r", direction: .initiator, state: .confirmed, duration: 12,
                  local: .init(identity: "sip:201@pbx", displayName: "Alice & co", target: "sip:201@192.0.2.1"),
                  remote: .init(identity: "sip:202@pbx")),
            .init(id: "b", state: .early, local: .init(identity: "sip:line@pbx", target: "sip:line@pbx", targetParameters: [("x-line-index", "2")])),
        ])
        #expect(try DialogInfoDocument(parsing: Array(written.xml().utf8)) == written)
    }

    @Test func aPrefixedDocumentParsesAndBadOnesAreNamed() throws {
        let prefixed = #"<d:dialog-info xmlns:d="urn:ietf:params:xml:ns:dialog-info" version="3" state="full" entity="sip:x@y"><d:dialog id="1"><d:state>terminated</d:state></d:dialog></d:dialog-info>"#
        let parsed = try DialogInfoDocument(parsing: Array(prefixed.utf8))
        #expect(parsed.version == 3 && parsed.dialogs.map(\.state) == [.terminated])
        for (body, fragment) in [
            (#"<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:x@y"/>"#, "not an RFC 4235"),
            (#"<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" entity="sip:x@y"/>"#, "version"),
            (#"<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" entity="sip:x@y"><dialog id="1"><state>ringing</state></dialog></dialog-info>"#, "dialog '1' has no state"),
            ("<dialog-info", "Start Tag"),
        ] {
            do {
                _ = try DialogInfoDocument(parsing: Array(body.utf8))
                Issue.record("accepted \(body)")
            } catch {
                #expect(error.context.contains(fragment), "\(error)")
            }
        }
    }
}
