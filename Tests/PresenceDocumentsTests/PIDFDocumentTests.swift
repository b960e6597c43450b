import Foundation
import Testing
@testable import PresenceDocuments

@Suite struct PIDFDocumentTests {
    static let resources = Bundle.module.url(forResource: "Resources", withExtension: nil)!

    static func schema() throws -> XMLSchema {
        try XMLSchema(path: resources.appendingPathComponent("xsd/pidf.xsd").path)
    }

    @Test func writesTheDefaultNamespaceAndValidatesAgainstRFC3863() throws {
        let document = PIDFDocument(entity: "sip:201@pbx.example.com", tuples: [
            .init(id: "t201", basic: .open, contact: "sip:201@192.0.2.10:5060", note: "Available"),
        ])
        let xml = document.xml()
        #expect(xml.contains("<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:201@pbx.example.com\">"))
        #expect(xml.contains("<basic>open</basic>"))
        #expect(!xml.contains("pidf:"), "phones show a prefixed <pidf:basic> as offline")
        try Self.schema().validate(Array(xml.utf8))
    }

    @Test func contactPriorityAndTimestampValidate() throws {
        let document = PIDFDocument(entity: "sip:201@pbx.example.com", tuples: [
            .init(id: "c1", basic: .open, contact: "sip:201@192.0.2.10:5060", priority: "0.8", timestamp: "2026-11-27T08:00:00Z"),
        ])
        let xml = document.xml()
        #expect(xml.contains("<contact priority=\"0.8\">sip:201@192.0.2.10:5060</contact><timestamp>2026-11-27T08:00:00Z</timestamp>"))
        try Self.schema().validate(Array(xml.utf8))
    }

    @Test func escapesMarkupInValues() throws {
        let document = PIDFDocument(entity: "sip:a&b<c>@example.com", tuples: [
            .init(id: "t1", basic: .closed, note: "\"quoted\" & 'single' <tag>\u{01}"),
        ])
        let bytes = Array(document.xml().utf8)
        try Self.schema().validate(bytes)
        let parsed = try PIDFDocument(parsing: bytes)
        #expect(parsed.entity == "sip:a&b<c>@example.com")
        #expect(parsed.tuples.first?.note == "\"quoted\" & 'single' <tag>")
    }

    @Test func parsesWhatItWrites() throws {
        let document = PIDFDocument(entity: "sip:1@x", tuples: [
            .init(id: "a", basic: .open, contact: "sip:1@10.0.0.1"),
            .init(id: "b", basic: .closed),
        ])
        #expect(try PIDFDocument(parsing: Array(document.xml().utf8)) == document)
    }

    @Test func parsesThePrefixedExampleOfRFC3863() throws {
        let bytes = try Array(Data(contentsOf: Self.resources.appendingPathComponent("rfc3863-s4.2.2-prefixed.xml")))
        let parsed = try PIDFDocument(parsing: bytes)
        #expect(parsed.entity == "pres:someone@example.com")
        #expect(parsed.tuples.first?.basic == .open)
    }

    @Test func rejectsMalformedAndForeignDocuments() {
        #expect { try PIDFDocument(parsing: Array("<presence xmlns='urn:ietf:params:xml:ns:pidf'".utf8)) } throws: {
            ($0 as? XMLParseError)?.code == .malformed
        }
        #expect { try PIDFDocument(parsing: Array("<dialog-info xmlns='urn:ietf:params:xml:ns:dialog-info'/>".utf8)) } throws: {
            ($0 as? XMLParseError)?.code == .unexpectedDocument
        }
        let noBasic = "<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='sip:a@b'><tuple id='x'><status/></tuple></presence>"
        #expect { try PIDFDocument(parsing: Array(noBasic.utf8)) } throws: {
            ($0 as? XMLParseError)?.code == .unexpectedDocument
        }
        #expect { try PIDFDocument(parsing: Array(repeating: UInt8(ascii: " "), count: PIDFDocument.maximumBodySize + 1)) } throws: {
            ($0 as? XMLParseError)?.code == .tooLarge
        }
    }

    @Test func neverFetchesExternalEntities() {
        let xxe = """
            <?xml version="1.0"?>
            <!DOCTYPE presence [<!ENTITY e SYSTEM "file:///etc/passwd">]>
            <presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:a@b"><tuple id="t"><status><basic>open</basic></status><note>&e;</note></tuple></presence>
            """
        let parsed = try? PIDFDocument(parsing: Array(xxe.utf8))
        #expect(parsed?.tuples.first?.note?.contains("root:") != true)
    }

    @Test func schemaValidationCatchesAnInvalidDocument() throws {
        let invalid = "<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='sip:a@b'><tuple id='t'><status><basic>maybe</basic></status></tuple></presence>"
        #expect { try Self.schema().validate(Array(invalid.utf8)) } throws: { ($0 as? XMLParseError)?.code == .invalid }
    }
}
