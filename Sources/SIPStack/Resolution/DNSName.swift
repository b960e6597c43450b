/// Domain-name helpers: text normalisation, case-insensitive comparison, wire encoding for queries.
///
/// Names are handled as text without the trailing dot (the root is the empty string); they are always
/// taken as absolute (no search list), which is what RFC 3263 hosts are.
enum DNSName {
    /// Longest name on the wire, length octets included (RFC 1035 §2.3.4).
    static let maximumWireLength = 255
    /// Longest label (RFC 1035 §2.3.4).
    static let maximumLabelLength = 63

    /// `name` without one trailing dot; `.` becomes the empty string (the root).
    static func normalized(_ name: String) -> String {
        name.hasSuffix(".") ? String(name.dropLast()) : name
    }

    /// Whether two names are equal, ignoring ASCII case and a trailing dot (RFC 4343).
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = normalized(a).utf8, y = normalized(b).utf8
        guard x.count == y.count else { return false }
        return zip(x, y).allSatisfy { lower($0) == lower($1) }
    }

    static func lower(_ c: UInt8) -> UInt8 {
        c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") ? c + 32 : c
    }

    /// The wire form of `name` (labels, then the root's zero octet), uncompressed.
    ///
    /// Accepts printable ASCII other than space and backslash (no escape syntax); rejects the empty string
    /// (the root is `.`), empty labels, labels over 63 octets and names over 255 octets.
    static func encode(_ name: String) throws(DNSError) -> [UInt8] {
        guard !name.isEmpty else { throw DNSError(code: .invalidName, context: "empty name (the root is \".\")") }
        let text = normalized(name)
        var wire: [UInt8] = []
        if !text.isEmpty {
            for label in text.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
                guard !label.isEmpty else { throw DNSError(code: .invalidName, context: "empty label in \"\(name)\"") }
                guard label.count <= maximumLabelLength else {
                    throw DNSError(code: .invalidName, context: "label longer than 63 octets in \"\(name)\"")
                }
                guard label.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") }) else {
                    throw DNSError(code: .invalidName, context: "unsupported character in \"\(name)\" (ASCII without spaces or escapes only)")
                }
                wire.append(UInt8(label.count))
                wire.append(contentsOf: label)
            }
        }
        wire.append(0)
        guard wire.count <= maximumWireLength else {
            throw DNSError(code: .invalidName, context: "name longer than 255 octets: \"\(name.prefix(80))...\"")
        }
        return wire
    }

    /// The text of one label as received: printable ASCII kept, `.`, `\` and other octets escaped as `\DDD`.
    static func labelText(_ label: ArraySlice<UInt8>) -> String {
        var text = ""
        text.reserveCapacity(label.count)
        for c in label {
            if c > 0x20, c < 0x7F, c != UInt8(ascii: "."), c != UInt8(ascii: "\\") {
                text.unicodeScalars.append(Unicode.Scalar(c))
            } else {
                let digits = String(c)
                text += "\\" + String(repeating: "0", count: 3 - digits.count) + digits
            }
        }
        return text
    }
}
