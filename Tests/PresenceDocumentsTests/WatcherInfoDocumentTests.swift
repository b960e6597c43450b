import Foundation
import Testing
@testable import PresenceDocuments

/// RFC 3858 watcherinfo: parsing (checked against the RFC's schema, `Resources/xsd/watcherinfo.xsd`) and the
/// full/partial state with its version rules.
@Suite struct WatcherInfoDocumentTests {
    static let schema = try! XMLSchema(path: Bundle.module.url(forResource: "Resources", withExtension: nil)!
        .appendingPathComponent("xsd/watcherinfo.xsd").path)

    static func document(version: Int, state: String, _ watchers: [(id: String, uri: String, status: String, event: String)]) -> [UInt8] {
        var text = #"<?xml version="1.0"?><watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo" version="\#(version)" state="\#(state)">"#
        text += #"<watcher-list resource="sip:201@pbx" package="presence">"#
        for w in watchers {
            text += #"<watcher id="\#(w.id)" status="\#(w.status)" event="\#(w.event)" duration-subscribed="5">\#(w.uri)</watcher>"#
        }
        return Array((text + "</watcher-list></watcherinfo>").utf8)
    }

    @Test func aDocumentParsesIntoTypedWatchers() throws {
        let body = Self.document(version: 0, state: "full", [("w1", "sip:phone@192.0.2.1", "active", "approved"), ("w2", "sip:gw@pbx", "pending", "subscribe")])
        try Self.schema.validate(body)
        let document = try WatcherInfoDocument(parsing: body)
        #expect(document.version == 0 && document.state == .full)
        #expect(document.lists.first?.resource == "sip:201@pbx" && document.lists.first?.package == "presence")
        #expect(document.lists.first?.watchers == [
            .init(id: "w1", uri: "sip:phone@192.0.2.1", status: .active, event: "approved", durationSubscribed: 5),
            .init(id: "w2", uri: "sip:gw@pbx", status: .pending, event: "subscribe", durationSubscribed: 5),
        ])
    }

    @Test func badDocumentsAreNamed() {
        for (body, fragment) in [
            (#"<watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo" state="full"/>"#, "version"),
            (#"<watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo" version="1" state="half"/>"#, "full or partial"),
            (#"<watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo" version="1" state="full"><watcher-list resource="r" package="p"><watcher id="a" status="sleepy" event="x">u</watcher></watcher-list></watcherinfo>"#, "watcher 'a'"),
            (#"<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:x@y"/>"#, "RFC 3858"),
        ] {
            do {
                _ = try WatcherInfoDocument(parsing: Array(body.utf8))
                Issue.record("accepted \(body)")
            } catch {
                #expect(error.context.contains(fragment), "\(error)")
            }
        }
    }

    @Test func fullReplacesPartialMergesAndVersionsAreChecked() throws {
        var state = WatcherInfoState()
        let partialFirst = try WatcherInfoDocument(parsing: Self.document(version: 3, state: "partial", [("w9", "sip:x@pbx", "active", "approved")]))
        #expect(state.apply(partialFirst) == .needsFullState, "a partial document cannot come first")
        let full = try WatcherInfoDocument(parsing: Self.document(version: 0, state: "full", [("w1", "sip:phone@192.0.2.1", "active", "approved")]))
        #expect(state.apply(full) == .applied)
        // A watcher arrives, then leaves.
        #expect(state.apply(try WatcherInfoDocument(parsing: Self.document(version: 1, state: "partial", [("w2", "sip:gw@pbx", "pending", "subscribe")]))) == .applied)
        #expect(state.watchers(of: "sip:201@pbx", package: "presence").map(\.id) == ["w2", "w1"])
        #expect(state.apply(try WatcherInfoDocument(parsing: Self.document(version: 2, state: "partial", [("w2", "sip:gw@pbx", "terminated", "timeout")]))) == .applied)
        #expect(state.watchers(of: "sip:201@pbx", package: "presence").map(\.id) == ["w1"])
        // A repeat is ignored; a gap needs a full state again.
        #expect(state.apply(try WatcherInfoDocument(parsing: Self.document(version: 2, state: "partial", []))) == .stale)
        #expect(state.apply(try WatcherInfoDocument(parsing: Self.document(version: 5, state: "partial", []))) == .needsFullState)
        #expect(state.version == nil && state.watchers(of: "sip:201@pbx", package: "presence").isEmpty)
        #expect(state.apply(try WatcherInfoDocument(parsing: Self.document(version: 6, state: "full", []))) == .applied)
    }
}
