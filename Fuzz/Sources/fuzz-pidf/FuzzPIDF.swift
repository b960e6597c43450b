// libFuzzer target: the PIDF (RFC 3863) NOTIFY/PUBLISH body parser, libxml2 underneath.
//
// The input is one body; `PIDFDocument(parsing:)` must throw `XMLParseError` for anything it does not accept.
// A document that parses is written back with `xml()` (the escaping code) and that is parsed again; the
// re-parse may throw (the writer does not promise to reproduce every accepted input), only a crash counts.
import PresenceDocuments

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let document = try? PIDFDocument(parsing: Array(UnsafeBufferPointer(start: data, count: size))) else { return 0 }
    _ = try? PIDFDocument(parsing: Array(document.xml().utf8))
    return 0
}
