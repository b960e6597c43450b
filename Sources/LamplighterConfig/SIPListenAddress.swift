/// A SIP listen address from `sip.listen`: `udp:127.0.0.1:5070`, `tcp:...`, `tls:...`.
public struct SIPListenAddress: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Transport protocol of a listen address.
    public enum Transport: String, Sendable, Equatable, Hashable, CaseIterable {
        /// Datagrams.
        case udp
        /// A stream.
        case tcp
        /// A stream over TLS.
        case tls
    }

    /// Transport.
    public var transport: Transport
    /// Address to bind.
    public var address: HostPort

    public init(transport: Transport, address: HostPort) {
        self.transport = transport
        self.address = address
    }

    /// Parses `transport:host:port`.
    public init?(parsing text: String) {
        guard let colon = text.firstIndex(of: ":"),
              let transport = Transport(rawValue: text[..<colon].lowercased()),
              let address = HostPort(parsing: String(text[text.index(after: colon)...])) else { return nil }
        self.transport = transport
        self.address = address
    }

    public var description: String { "\(transport.rawValue):\(address)" }
}
