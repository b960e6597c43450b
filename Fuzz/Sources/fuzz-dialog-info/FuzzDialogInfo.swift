// libFuzzer target: the dialog-info (RFC 4235) NOTIFY body parser, libxml2 underneath.
//
// The input is one body; `DialogInfoDocument(parsing:)` must throw `XMLParseError` for anything it does not
// accept. A document that parses is written back with `xml()` and that is parsed again; the re-parse may
// throw, only a crash counts.
import PresenceDocuments

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let document = try? DialogInfoDocument(parsing: Array(UnsafeBufferPointer(start: data, count: size))) else { return 0 }
    _ = try? DialogInfoDocument(parsing: Array(document.xml().utf8))
    return 0
}
