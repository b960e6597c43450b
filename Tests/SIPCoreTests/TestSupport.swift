import Foundation
import SIPCore
import Testing

/// Access to the bundled RFC 4475 torture messages.
enum Torture {
    static let directory: URL = Bundle.module.url(forResource: "Resources", withExtension: nil)!
        .appendingPathComponent("rfc4475", isDirectory: true)

    static func bytes(_ name: String) throws -> [UInt8] {
        let url = directory.appendingPathComponent(name.hasSuffix(".dat") ? name : name + ".dat")
        return [UInt8](try Data(contentsOf: url))
    }

    /// `(file, isValid)` from CLASSIFICATION.txt.
    static func classification() throws -> [(file: String, valid: Bool)] {
        let text = try String(contentsOf: directory.appendingPathComponent("CLASSIFICATION.txt"), encoding: .utf8)
        return text.split(whereSeparator: \.isNewline).compactMap { line in
            let parts = line.split(separator: " ")
            guard parts.count == 2 else { return nil }
            return (String(parts[0]), parts[1] == "valid")
        }
    }

    static var allFiles: [String] {
        (try? classification().map(\.file)) ?? []
    }
}

extension Array where Element == UInt8 {
    init(crlf text: String) {
        self = Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8)
    }
}

/// Parses or records the error code.
func parseResult(_ bytes: [UInt8], limits: SIPLimits = .default) -> Result<SIPMessage, SIPParseError> {
    Result { () throws(SIPParseError) -> SIPMessage in try SIPParser(limits: limits).parse(bytes) }
}

func parseError(_ bytes: [UInt8], limits: SIPLimits = .default) -> SIPParseError? {
    if case .failure(let e) = parseResult(bytes, limits: limits) { return e }
    return nil
}

/// A deterministic SplitMix64 generator.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum Samples {
    static let publishBody = Array("""
    <?xml version="1.0" encoding="UTF-8"?>
    <presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:alice@example.com">
      <tuple id="t1"><status><basic>open</basic></status><note>Available</note></tuple>
    </presence>
    """.utf8)

    static func publish() -> SIPRequest {
        var h = SIPHeaders()
        h.add("Via", "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport")
        h.add("Max-Forwards", "70")
        h.add("To", "<sip:alice@example.com>")
        h.add("From", "\"Alice\" <sip:alice@example.com>;tag=1928301774")
        h.add("Call-ID", "a84b4c76e66710@pc33.example.com")
        h.add("CSeq", "314159 PUBLISH")
        h.add("Event", "presence")
        h.add("Expires", "3600")
        h.add("SIP-If-Match", "dx200xyz")
        h.add("User-Agent", "Lamplighter/0.1")
        h.add("Content-Type", "application/pidf+xml")
        return SIPRequest(method: .publish, uri: try! SIPURI(parsing: "sip:alice@example.com"), headers: h, body: publishBody)
    }
}
