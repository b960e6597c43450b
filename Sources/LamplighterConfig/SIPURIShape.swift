/// A light check that a configured SIP URI has the shape `sip[s]:[user@]host[:port][;params]`.
///
/// The SIP stack parses the URI fully when it starts; this check lets `check-config` name the fault early.
enum SIPURIShape {
    /// Nil when `text` looks like a SIP URI, else what is wrong with it.
    static func problem(in text: String) -> String? {
        let lower = text.lowercased()
        let rest: Substring
        if lower.hasPrefix("sip:") {
            rest = text.dropFirst(4)
        } else if lower.hasPrefix("sips:") {
            rest = text.dropFirst(5)
        } else {
            return "'\(text)' does not start with sip: or sips:"
        }
        if text.contains(where: { $0.isWhitespace }) { return "'\(text)' contains whitespace" }
        var hostPort = rest.prefix { $0 != ";" && $0 != "?" }
        if let at = hostPort.lastIndex(of: "@") { hostPort = hostPort[hostPort.index(after: at)...] }
        let host: Substring
        var portText: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { return "unclosed '[' in '\(text)'" }
            host = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return "unexpected '\(after)' after the host in '\(text)'" }
                portText = after.dropFirst()
            }
        } else if let colon = hostPort.firstIndex(of: ":") {
            host = hostPort[..<colon]
            portText = hostPort[hostPort.index(after: colon)...]
        } else {
            host = hostPort
        }
        if host.isEmpty { return "'\(text)' has no host" }
        if !host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" }) {
            return "host '\(host)' in '\(text)' is not a host name or address"
        }
        if let portText {
            guard let port = Int(portText), (1...65535).contains(port) else {
                return "port '\(portText)' in '\(text)' is not a number from 1 to 65535"
            }
        }
        for parameter in rest.split(separator: ";").dropFirst() {
            let parts = parameter.split(separator: "=", maxSplits: 1)
            if parts.first?.lowercased() == "transport",
               !["udp", "tcp", "tls"].contains(parts.count == 2 ? parts[1].lowercased() : "") {
                return "transport in '\(text)' is not udp, tcp or tls"
            }
        }
        return nil
    }
}
