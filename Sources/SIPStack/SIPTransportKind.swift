/// A SIP transport protocol.
public enum SIPTransportKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Datagrams; the transaction layer retransmits.
    case udp
    /// A TCP stream, framed by Content-Length.
    case tcp
    /// TLS over TCP (sips: or transport=tls).
    case tls

    /// Whether the transport delivers reliably (no Timer E retransmissions, Timer K zero).
    public var isReliable: Bool { self != .udp }

    /// The Via transport token, `UDP`, `TCP` or `TLS`.
    public var viaToken: String { rawValue.uppercased() }

    public var description: String { rawValue }
}
