/// Canonical spellings of well-known header names, compact forms and list-valued headers.
enum SIPHeaderName {
    /// Well-known header names in canonical spelling.
    static let known: [String] = [
        "Accept", "Accept-Contact", "Accept-Encoding", "Accept-Language", "Alert-Info", "Allow", "Allow-Events",
        "Authentication-Info", "Authorization", "Call-ID", "Call-Info", "Contact", "Content-Disposition",
        "Content-Encoding", "Content-Language", "Content-Length", "Content-Type", "CSeq", "Date", "Error-Info",
        "Event", "Expires", "From", "Identity", "In-Reply-To", "Max-Forwards", "MIME-Version", "Min-Expires",
        "Organization", "Path", "P-Asserted-Identity", "Priority", "Privacy", "Proxy-Authenticate",
        "Proxy-Authorization", "Proxy-Require", "RAck", "Reason", "Record-Route", "Refer-To", "Referred-By",
        "Reject-Contact", "Replaces", "Reply-To", "Request-Disposition", "Require", "Retry-After", "Route", "RSeq",
        "Security-Client", "Security-Server", "Security-Verify", "Server", "Service-Route", "Session-Expires",
        "SIP-ETag", "SIP-If-Match", "Subject", "Subscription-State", "Supported", "Timestamp", "To", "Unsupported",
        "User-Agent", "Via", "Warning", "WWW-Authenticate", "Content-Transfer-Encoding", "Min-SE",
    ]

    /// Compact form (RFC 3261 §7.3.3, RFC 3265, RFC 3515, RFC 3841, RFC 4028) → canonical name.
    static func expandCompact(_ c: UInt8) -> String? {
        switch SIPLexer.lower(c) {
        case UInt8(ascii: "i"): "Call-ID"
        case UInt8(ascii: "m"): "Contact"
        case UInt8(ascii: "e"): "Content-Encoding"
        case UInt8(ascii: "l"): "Content-Length"
        case UInt8(ascii: "c"): "Content-Type"
        case UInt8(ascii: "f"): "From"
        case UInt8(ascii: "s"): "Subject"
        case UInt8(ascii: "k"): "Supported"
        case UInt8(ascii: "t"): "To"
        case UInt8(ascii: "v"): "Via"
        case UInt8(ascii: "o"): "Event"
        case UInt8(ascii: "u"): "Allow-Events"
        case UInt8(ascii: "r"): "Refer-To"
        case UInt8(ascii: "b"): "Referred-By"
        case UInt8(ascii: "a"): "Accept-Contact"
        case UInt8(ascii: "j"): "Reject-Contact"
        case UInt8(ascii: "d"): "Request-Disposition"
        case UInt8(ascii: "x"): "Session-Expires"
        case UInt8(ascii: "y"): "Identity"
        default: nil
        }
    }

    /// Headers the parser validates, tagged while scanning so validation needs no string compares.
    enum Tag: Int {
        case none = 0, to, from, cseq, callID, via, maxForwards, contentLength
        static let count = 8

        init(_ name: String) {
            switch name {
            case "To": self = .to
            case "From": self = .from
            case "CSeq": self = .cseq
            case "Call-ID": self = .callID
            case "Via": self = .via
            case "Max-Forwards": self = .maxForwards
            case "Content-Length": self = .contentLength
            default: self = .none
            }
        }
    }

    private struct Entry {
        let lower: [UInt8]
        let name: String
        let tag: Tag
    }

    /// Known names bucketed by length, lowercased bytes alongside the canonical string.
    private static let byLength: [[Entry]] = {
        var buckets = [[Entry]](repeating: [], count: 32)
        for name in known {
            buckets[name.utf8.count].append(Entry(lower: name.utf8.map(SIPLexer.lower), name: name, tag: Tag(name)))
        }
        return buckets
    }()

    /// Canonical name for raw name bytes: expands compact forms and fixes the case of
    /// known names; unknown names are returned as received.
    static func canonicalTagged(_ bytes: UnsafeBufferPointer<UInt8>) -> (name: String, tag: Tag) {
        let n = bytes.count
        if n == 1, let full = expandCompact(bytes[0]) { return (full, Tag(full)) }
        if n > 0, n < 32 {
            let bucket = byLength[n]
            let first = SIPLexer.lower(bytes[0])
            outer: for e in bucket where e.lower[0] == first {
                for k in 1..<n where SIPLexer.lower(bytes[k]) != e.lower[k] { continue outer }
                return (e.name, e.tag)
            }
        }
        return (String(decoding: bytes, as: UTF8.self), .none)
    }

    static func canonical(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        canonicalTagged(bytes).name
    }

    /// Canonical form of a name given as a string.
    static func canonical(_ name: String) -> String {
        if name.isEmpty { return name }
        var name = name
        return name.withUTF8 { canonical($0) }
    }

    /// Headers whose values may be comma-separated lists (RFC 3261 §7.3.1).
    static let listHeaders: Set<String> = [
        "via", "route", "record-route", "contact", "allow", "supported", "allow-events", "require", "proxy-require",
        "unsupported", "accept", "accept-encoding", "accept-language", "content-encoding", "content-language",
        "in-reply-to", "path", "service-route", "alert-info", "call-info", "error-info", "warning", "reason",
        "security-client", "security-server", "security-verify", "p-asserted-identity", "privacy",
        "accept-contact", "reject-contact", "request-disposition",
    ]

    static func isList(_ canonicalName: String) -> Bool {
        listHeaders.contains(canonicalName.lowercased())
    }
}
