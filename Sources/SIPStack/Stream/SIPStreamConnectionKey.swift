import NIOCore

/// What makes two sends share a stream connection: the transport and the peer's address, and for TLS the
/// name the peer's certificate was verified against.
///
/// RFC 3261 §18 reuses a connection per destination. For TLS the verified name is part of the identity: a
/// connection verified as `a.example` is not reused for a send that asks for `b.example` at the same
/// address. Inbound connections (and sends with no server name, or an IP literal as server name, which
/// are verified against the address itself) use a nil name, so a reply to an inbound connection finds it.
/// Plain TCP ignores the name.
struct SIPStreamConnectionKey: Hashable, Sendable, CustomStringConvertible {
    /// Transport of the connection.
    var transport: SIPTransportKind
    /// Remote address and port.
    var address: SocketAddress
    /// Lower-cased DNS name the certificate is checked against (TLS only), nil for "the address".
    var verifiedName: String?

    /// The key a send to `destination` uses.
    init(_ destination: SIPDestination) {
        self.transport = destination.transport
        self.address = destination.address
        if destination.transport == .tls, let name = SIPStreamTLS.dnsName(destination.serverName) {
            self.verifiedName = name.lowercased()
        } else {
            self.verifiedName = nil
        }
    }

    /// The key of an inbound connection from `address`.
    init(transport: SIPTransportKind, address: SocketAddress) {
        self.transport = transport
        self.address = address
        self.verifiedName = nil
    }

    var description: String {
        "\(transport):\(address.ipAddress ?? "?"):\(address.port ?? 0)" + (verifiedName.map { " (\($0))" } ?? "")
    }
}
