import SIPCore

/// Builds the 400 for a request the parser rejected but that can still be answered (RFC 3261 §8.2):
/// the start line is a request's and Via, From, To, Call-ID and CSeq can be read as text.
///
/// The reason phrase names the fault, e.g. `Bad Request (CSeq: method INVITE does not match OPTIONS)`.
public enum MalformedRequestReply {
    /// Longest reason phrase sent.
    static let maximumReasonLength = 160

    /// The 400 to send, or nil when the datagram is not an answerable request (a response, or no Via/CSeq/...).
    public static func response(to bytes: some Collection<UInt8>, error: SIPParseError, server: String) -> SIPResponse? {
        let text = String(decoding: bytes.prefix(16 * 1024), as: UTF8.self)
        // In Swift "\r\n" is one Character; accept bare LF too.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\r\n" || $0 == "\n" })
        while lines.first?.isEmpty == true { lines.removeFirst() }
        guard let startLine = lines.first else { return nil }
        let parts = startLine.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count >= 3, !parts[0].hasPrefix("SIP/"), parts[0].allSatisfy({ $0.isLetter || $0 == "-" }),
              parts[0].uppercased() != "ACK" else { return nil }
        var wanted: [String: String] = [:]
        var vias: [String] = []
        for line in lines.dropFirst() {
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = canonical(line[..<colon].trimmingCharacters())
            let value = line[line.index(after: colon)...].trimmingCharacters()
            if name == "Via" {
                vias.append(value)
            } else if ["From", "To", "Call-ID", "CSeq"].contains(name), wanted[name] == nil {
                wanted[name] = value
            }
        }
        guard !vias.isEmpty, wanted.count == 4 else { return nil }
        var headers = SIPHeaders()
        for via in vias { headers.add("Via", sanitized(via)) }
        for name in ["From", "To", "Call-ID", "CSeq"] { headers.add(name, sanitized(wanted[name]!)) }
        headers.add("Server", server)
        var reason = "Bad Request (\(sanitized(error.context)))"
        if reason.count > maximumReasonLength { reason = String(reason.prefix(maximumReasonLength - 4)) + "...)" }
        return SIPResponse(statusCode: 400, reason: reason, headers: headers)
    }

    private static func canonical(_ name: String) -> String {
        switch name.lowercased() {
        case "v", "via": "Via"
        case "f", "from": "From"
        case "t", "to": "To"
        case "i", "call-id": "Call-ID"
        case "cseq": "CSeq"
        default: name
        }
    }

    /// Drops control characters so nothing from the bad message can inject header lines.
    private static func sanitized(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.map(Character.init))
    }
}

extension StringProtocol {
    fileprivate func trimmingCharacters() -> String {
        var slice = Substring(self)
        while slice.first == " " || slice.first == "\t" { slice.removeFirst() }
        while slice.last == " " || slice.last == "\t" { slice.removeLast() }
        return String(slice)
    }
}
