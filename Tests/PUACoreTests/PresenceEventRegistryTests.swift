import Testing
@testable import PUACore

@Suite struct PresenceEventRegistryTests {
    let registry = PresenceEventRegistry.builtIn

    func process(_ event: String, _ body: String, version: UInt64 = 7, tupleID: String = "t1") throws(BodyProcessingError) -> String {
        let bytes = try process(event, Array(body.utf8), version: version, tupleID: tupleID)
        return String(decoding: bytes, as: UTF8.self)
    }

    func process(_ event: String, _ body: [UInt8], version: UInt64 = 7, tupleID: String = "t1") throws(BodyProcessingError) -> [UInt8] {
        let event = registry.event(named: event)!
        return try event.process(BodyContext(body: body, version: version, tupleID: tupleID))
    }

    func errorCode(_ event: String, _ body: [UInt8]) -> BodyProcessingError.Code? {
        do {
            _ = try process(event, body)
            return nil
        } catch {
            #expect(!error.context.isEmpty)
            return error.code
        }
    }

    func errorCode(_ event: String, _ body: String) -> BodyProcessingError.Code? {
        errorCode(event, Array(body.utf8))
    }

    // MARK: Registry

    @Test func builtInsAreRegisteredInOrder() {
        #expect(registry.names == ["presence", "dialog", "dialog;sla", "message-summary", "presence.winfo"])
        #expect(registry.event(named: "presence")?.contentType == "application/pidf+xml")
        #expect(registry.event(named: "dialog")?.contentType == "application/dialog-info+xml")
        #expect(registry.event(named: "dialog;sla")?.contentType == "application/dialog-info+xml")
        #expect(registry.event(named: "message-summary")?.contentType == "application/simple-message-summary")
        #expect(registry.event(named: "presence.winfo")?.contentType == "application/watcherinfo+xml")
        for name in ["presence", "dialog", "dialog;sla", "message-summary"] {
            #expect(registry.event(named: name)?.canPublish == true, "\(name)")
            #expect(registry.event(named: name)?.canSubscribe == true, "\(name)")
        }
    }

    @Test func presenceWinfoIsSubscribeOnly() throws {
        let winfo = try #require(registry.event(named: "presence.winfo"))
        #expect(!winfo.canPublish)
        #expect(winfo.canSubscribe)
    }

    @Test func lookupIgnoresPackageCaseButNotParameters() {
        #expect(registry.event(named: "Presence")?.name == "presence")
        #expect(registry.event(named: "DIALOG;sla")?.name == "dialog;sla")
        #expect(registry.event(named: "Message-Summary")?.name == "message-summary")
        #expect(registry.event(named: "dialog;SLA") == nil)
        #expect(registry.event(named: "dialog;sla;x") == nil)
        #expect(registry.event(named: "reg") == nil)
        #expect(registry.event(named: "") == nil)
        #expect(registry.event(named: ";sla") == nil)
    }

    @Test func addsNewEventsAndRejectsDuplicates() throws {
        var registry = PresenceEventRegistry.builtIn
        try registry.add(PresenceEvent(name: "as-feature-event", contentType: "application/x-as-feature-event+xml"))
        #expect(registry.event(named: "AS-Feature-Event")?.contentType == "application/x-as-feature-event+xml")
        #expect(registry.names.last == "as-feature-event")

        #expect(throws: RegistryError(code: .duplicateEvent, name: "PRESENCE")) {
            try registry.add(PresenceEvent(name: "PRESENCE", contentType: "text/plain"))
        }
        #expect(throws: RegistryError(code: .duplicateEvent, name: "Dialog;sla")) {
            try registry.add(PresenceEvent(name: "Dialog;sla", contentType: "text/plain"))
        }
        #expect(throws: RegistryError(code: .invalidName, name: ";sla")) {
            try registry.add(PresenceEvent(name: ";sla", contentType: "text/plain"))
        }
        // A different parameter is a different event; the original stays.
        try registry.add(PresenceEvent(name: "dialog;SLA", contentType: "text/plain"))
        #expect(registry.event(named: "dialog;sla")?.contentType == "application/dialog-info+xml")
        #expect(registry.event(named: "presence")?.contentType == "application/pidf+xml")
        #expect(registry.names.count == 7)
    }

    @Test func emptyRegistryHasNothing() throws {
        var registry = PresenceEventRegistry()
        #expect(registry.names.isEmpty)
        #expect(registry.event(named: "presence") == nil)
        try registry.add(PresenceEvent(name: "presence", contentType: "application/pidf+xml", canSubscribe: false))
        #expect(registry.event(named: "presence")?.canSubscribe == false)
        // The default processor passes bodies through.
        let body: [UInt8] = Array("anything <at all".utf8)
        #expect(try registry.event(named: "presence")?.process(BodyContext(body: body, version: 1, tupleID: "x")) == body)
    }

    // MARK: presence

    @Test func presenceStampsOnlyTuplesWithoutID() throws {
        let body = """
            <?xml version="1.0" encoding="UTF-8"?>
            <!-- published by lamplighter -->
            <presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:201@pbx.example.com">
              <tuple id="existing">
                <status><basic>open</basic></status>
              </tuple>
              <tuple>
                <status><basic>closed</basic></status>
                <note><![CDATA[<tuple> in CDATA stays]]></note>
              </tuple>
              <tuple
                 xmlns:x='urn:x'><status/></tuple>
              <tuplex/>
            </presence>
            """
        let expected = """
            <?xml version="1.0" encoding="UTF-8"?>
            <!-- published by lamplighter -->
            <presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:201@pbx.example.com">
              <tuple id="existing">
                <status><basic>open</basic></status>
              </tuple>
              <tuple id="t1">
                <status><basic>closed</basic></status>
                <note><![CDATA[<tuple> in CDATA stays]]></note>
              </tuple>
              <tuple id="t1"
                 xmlns:x='urn:x'><status/></tuple>
              <tuplex/>
            </presence>
            """
        let once = try process("presence", body)
        #expect(once == expected)
        #expect(try process("presence", once) == once)
    }

    @Test func presenceHandlesPrefixesQuotesAndSelfClosingTuples() throws {
        let body = """
            <pidf:presence xmlns:pidf='urn:ietf:params:xml:ns:pidf' entity='pres:201@pbx'>\
            <pidf:tuple data='a>b'><pidf:status><pidf:basic>open</pidf:basic></pidf:status></pidf:tuple>\
            <pidf:tuple id='kept'/>\
            <pidf:tuple/>\
            <pidf:tuple pidf:id="prefixed-is-not-id" />\
            </pidf:presence>
            """
        let expected = """
            <pidf:presence xmlns:pidf='urn:ietf:params:xml:ns:pidf' entity='pres:201@pbx'>\
            <pidf:tuple id="a&amp;&lt;&quot;b" data='a>b'><pidf:status><pidf:basic>open</pidf:basic></pidf:status></pidf:tuple>\
            <pidf:tuple id='kept'/>\
            <pidf:tuple id="a&amp;&lt;&quot;b"/>\
            <pidf:tuple id="a&amp;&lt;&quot;b" pidf:id="prefixed-is-not-id" />\
            </pidf:presence>
            """
        let once = try process("presence", body, tupleID: "a&<\"b")
        #expect(once == expected)
        #expect(try process("presence", once, tupleID: "other") == once)
    }

    @Test func presenceWithoutTuplesIsByteIdentical() throws {
        let body: [UInt8] = Array("<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:a@b\"/>\r\n".utf8) + [0xC3, 0xA9]
        #expect(try process("presence", body) == body)
    }

    // MARK: dialog, dialog;sla

    @Test func dialogAddsVersionWhenMissing() throws {
        let body = """
            <?xml version="1.0"?>
            <dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" state="full" entity="sip:201@pbx">
              <dialog id="a1" direction="initiator"><state>confirmed</state></dialog>
            </dialog-info>
            """
        let expected = """
            <?xml version="1.0"?>
            <dialog-info version="12" xmlns="urn:ietf:params:xml:ns:dialog-info" state="full" entity="sip:201@pbx">
              <dialog id="a1" direction="initiator"><state>confirmed</state></dialog>
            </dialog-info>
            """
        let once = try process("dialog", body, version: 12)
        #expect(once == expected)
        #expect(try process("dialog", once, version: 12) == once)
    }

    @Test func dialogReplacesExistingVersion() throws {
        let body = """
            <dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="3" state="partial" entity="sip:201@pbx">
              <dialog id="a1" version="99"><state>terminated</state></dialog>
            </dialog-info>
            """
        let expected = """
            <dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="18446744073709551615" state="partial" entity="sip:201@pbx">
              <dialog id="a1" version="99"><state>terminated</state></dialog>
            </dialog-info>
            """
        let once = try process("dialog", body, version: .max)
        #expect(once == expected)
        #expect(try process("dialog", once, version: .max) == once)
    }

    @Test func dialogSLAHandlesPrefixedRootAndSingleQuotes() throws {
        let body = """
            <!DOCTYPE d [ <!ENTITY x "y>"> ]>
            <di:dialog-info xmlns:di='urn:ietf:params:xml:ns:dialog-info' version = '41' state='full' \
            entity='sip:201@pbx'><di:dialog id='x'/></di:dialog-info>
            """
        let expected = """
            <!DOCTYPE d [ <!ENTITY x "y>"> ]>
            <di:dialog-info xmlns:di='urn:ietf:params:xml:ns:dialog-info' version = '42' state='full' \
            entity='sip:201@pbx'><di:dialog id='x'/></di:dialog-info>
            """
        let once = try process("dialog;sla", body, version: 42)
        #expect(once == expected)
        #expect(try process("dialog;sla", once, version: 42) == once)
        // Self-closing prefixed root without a version.
        #expect(try process("dialog;sla", "<di:dialog-info xmlns:di='urn:x'/>", version: 0)
            == "<di:dialog-info version=\"0\" xmlns:di='urn:x'/>")
    }

    // MARK: message-summary

    @Test func messageSummaryIsUnchanged() throws {
        let body = "Messages-Waiting: yes\r\nMessage-Account: sip:201@pbx\r\nVoice-Message: 2/8 (0/2)\r\n"
        #expect(try process("message-summary", body) == body)
        #expect(try process("message-summary", "") == "")
    }

    // MARK: Malformed bodies

    @Test func malformedBodiesGiveErrorCodes() {
        for event in ["presence", "dialog", "dialog;sla"] {
            #expect(errorCode(event, "") == .noRootElement, "\(event)")
            #expect(errorCode(event, "just text, no markup") == .noRootElement, "\(event)")
            #expect(errorCode(event, "<?xml version=\"1.0\"?><!-- only a comment -->") == .noRootElement, "\(event)")
            #expect(errorCode(event, "</presence>") == .noRootElement, "\(event)")
            #expect(errorCode(event, "<") == .unterminatedTag, "\(event)")
            #expect(errorCode(event, "<?xml version=\"1.0\"") == .unterminatedTag, "\(event)")
            #expect(errorCode(event, "<!-- never closed") == .unterminatedTag, "\(event)")
            #expect(errorCode(event, "<!DOCTYPE x [") == .unterminatedTag, "\(event)")
            #expect(errorCode(event, "<dialog-info version=\"1") == .unterminatedTag, "\(event)")
            #expect(errorCode(event, "<presence entity='sip:a@b'") == .unterminatedTag, "\(event)")
            #expect(errorCode(event, "< presence>") == .malformedTag, "\(event)")
            #expect(errorCode(event, "<presence entity=sip:a@b>") == .malformedTag, "\(event)")
            #expect(errorCode(event, "<presence entity>") == .malformedTag, "\(event)")
            #expect(errorCode(event, "<presence / >") == .malformedTag, "\(event)")
            #expect(errorCode(event, "<other/>") == .unexpectedRootElement, "\(event)")
        }
        #expect(errorCode("presence", "<presence><tuple id='x'><status>") == nil)
        #expect(errorCode("presence", "<presence><tuple><status") == .unterminatedTag)
        #expect(errorCode("presence", "<presence><tuple><![CDATA[x") == .unterminatedTag)
        #expect(errorCode("presence", "<presence></tuple") == .unterminatedTag)
        #expect(errorCode("dialog", "<presence/>") == .unexpectedRootElement)
        #expect(errorCode("presence", "<dialog-info/>") == .unexpectedRootElement)
    }

    @Test func oversizedBodiesAreRefused() {
        let padding = [UInt8](repeating: UInt8(ascii: " "), count: PresenceEvent.maximumBodySize)
        let presence = Array("<presence><tuple/></presence>".utf8) + padding
        let dialog = Array("<dialog-info/>".utf8) + padding
        #expect(errorCode("presence", presence) == .bodyTooLarge)
        #expect(errorCode("dialog", dialog) == .bodyTooLarge)
        #expect(errorCode("dialog;sla", dialog) == .bodyTooLarge)
        #expect(errorCode("message-summary", padding + [0x20]) == .bodyTooLarge)
        // Exactly the limit is accepted.
        #expect(errorCode("message-summary", padding) == nil)
        let atLimit = Array("<dialog-info/>".utf8) + padding.dropFirst(14)
        #expect(atLimit.count == PresenceEvent.maximumBodySize)
        #expect(errorCode("dialog", atLimit) == nil)
    }

    @Test func arbitraryBytesNeverCrash() {
        // Deterministic pseudo-random bodies built from markup-significant bytes.
        let alphabet = Array("<>/?!-[]'\"= :abtupledialog-infoversionid\r\n".utf8) + [0x00, 0xFF]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2_000 {
            var body: [UInt8] = []
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let length = Int(state >> 58)
            for _ in 0..<length {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                body.append(alphabet[Int(state >> 33) % alphabet.count])
            }
            for event in ["presence", "dialog", "message-summary"] {
                if let bytes = try? process(event, body) {
                    // Whatever is accepted is stable under reprocessing.
                    #expect((try? process(event, bytes)) == bytes)
                }
            }
        }
    }
}
