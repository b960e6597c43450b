import Foundation
import Testing
@testable import Feeds

@Suite struct JSONParserTests {
    func parse(_ text: String) throws(JSONParser.Failure) -> JSONValue {
        try JSONParser.parse(Array(text.utf8))
    }

    @Test func valuesOfEveryKind() throws {
        #expect(try parse(#" {"a": [1, -2.5e3, true, false, null], "b": {"c": "d"}} "#) == .object([
            "a": .array([.number(1), .number(-2500), .bool(true), .bool(false), .null]),
            "b": .object(["c": .string("d")]),
        ]))
        #expect(try parse(#""tab\tquote\"slash\/back\\nl\nuni\u00e9 pair\ud83d\ude00""#) == .string("tab\tquote\"slash/back\\nl\nuni\u{e9} pair😀"))
        #expect(try parse("[]") == .array([]))
        #expect(try parse("{}") == .object([:]))
        #expect(try parse("0") == .number(0))
    }

    @Test(arguments: [
        ("", "unexpected end at byte 0"),
        ("{\"a\":1} x", "unexpected data after the value at byte 8"),
        ("{\"a\":1,}", "expected a member name at byte 7"),
        ("{\"a\" 1}", "expected ':' at byte 5"),
        ("{a:1}", "expected a member name at byte 1"),
        ("[1,]", "unexpected character at byte 3"),
        ("01", "unexpected data after the value at byte 1"),
        ("1.", "invalid number at byte 2"),
        ("1e999", "number out of range at byte 5"),
        ("\"\u{01}\"", "control character in string at byte 1"),
        ("\"\\ud800\"", "unpaired surrogate at byte 7"),
        ("\"\\x\"", "invalid escape at byte 3"),
        ("tru", "unexpected end at byte 0"),
        ("nul!", "invalid literal at byte 0"),
        ("\"abc", "unterminated string at byte 4"),
    ])
    func faultsAreNamedWithTheirOffset(text: String, message: String) {
        #expect(throws: JSONParser.Failure.self) { try parse(text) }
        do {
            _ = try parse(text)
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func depthIsBounded() {
        let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        #expect(throws: JSONParser.Failure(offset: 32, reason: "nested deeper than 32")) { try parse(deep) }
        let fine = String(repeating: "[", count: 20) + String(repeating: "]", count: 20)
        #expect(throws: Never.self) { try parse(fine) }
    }

    @Test func invalidUTF8IsRefused() {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse([0x22, 0xFF, 0x22]) }
    }

    static func hasTrailingComma(_ bytes: [UInt8]) -> Bool {
        let compact = bytes.filter { $0 != 0x20 }
        return zip(compact, compact.dropFirst()).contains { $0 == UInt8(ascii: ",") && ($1 == UInt8(ascii: "}") || $1 == UInt8(ascii: "]")) }
    }

    /// Differential check on mutated feed events: whatever Foundation's parser accepts, this one accepts with
    /// the same strings and numbers, and it never crashes on what either refuses.
    @Test func agreesWithFoundationOnMutatedEvents() throws {
        let seed = Array(#"{"event":"contact-insert","aor":"sip:201@pbx","contact":"sip:201@192.0.2.10","expires":3600,"q":0.5,"x":[true,null,"\u00e9"]}"#.utf8)
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("{}[]\",:0123456789.eE-+truefalsn \\u".utf8)
        for _ in 0..<3000 {
            var bytes = seed
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes[position] = alphabet.randomElement(using: &generator)!
                case 1: bytes.remove(at: position)
                default: bytes.insert(alphabet.randomElement(using: &generator)!, at: position)
                }
            }
            let ours = try? JSONParser.parse(bytes)
            let theirs = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
            if let object = theirs as? [String: Any], case .object(let parsed)? = ours {
                for (key, value) in object {
                    if let text = value as? String { #expect(parsed[key] == .string(text)) }
                }
                #expect(Set(object.keys) == Set(parsed.keys))
            } else if theirs is [String: Any], !Self.hasTrailingComma(bytes) {
                // (Foundation also takes a trailing comma, which RFC 8259 does not allow.)
                Issue.record("Foundation accepted what this parser refused: \(String(decoding: bytes, as: UTF8.self))")
            }
        }
    }
}
