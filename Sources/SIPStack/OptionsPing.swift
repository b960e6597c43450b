import NIOCore
import SIPCore

/// Builds the OPTIONS request used to check that the presence server answers.
public enum OptionsPing {
    /// An OPTIONS to `target` from `localURI`, with fresh Call-ID and From tag (the endpoint adds the Via).
    public static func request(to target: SIPURI, from localURI: SIPURI, userAgent: String) -> SIPRequest {
        var headers = SIPHeaders()
        headers.add("From", "<\(localURI)>;tag=\(SIPEndpoint.newToken(prefix: ""))")
        headers.add("To", "<\(target)>")
        headers.add("Call-ID", "\(SIPEndpoint.newToken(prefix: ""))@lamplighter")
        headers.add("CSeq", "1 OPTIONS")
        headers.add("Contact", "<\(localURI)>")
        headers.add("Accept", "application/sdp")
        headers.add("User-Agent", userAgent)
        return SIPRequest(method: .options, uri: target, headers: headers)
    }

    /// Resolves the host and port of a SIP URI (literal addresses and names via getaddrinfo; SRV comes later).
    public static func destination(of uri: SIPURI) throws(SIPTransactionError) -> SocketAddress {
        let host = uri.host.hasPrefix("[") ? String(uri.host.dropFirst().dropLast()) : uri.host
        let port = uri.port ?? (uri.scheme == .sips ? 5061 : 5060)
        do {
            return try SocketAddress.makeAddressResolvingHost(host, port: port)
        } catch {
            throw SIPTransactionError(code: .unresolvable, context: "cannot resolve \(host):\(port): \(error)")
        }
    }
}
