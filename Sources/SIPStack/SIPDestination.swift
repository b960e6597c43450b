import NIOCore

/// Where one request goes: a transport, a socket address, and for TLS the name the certificate must carry.
public struct SIPDestination: Sendable, Hashable, CustomStringConvertible {
    /// Transport.
    public var transport: SIPTransportKind
    /// Resolved address and port.
    public var address: SocketAddress
    /// Host name from the URI or SRV target, checked against the server certificate (TLS) and used for SNI.
    public var serverName: String?

    public init(transport: SIPTransportKind, address: SocketAddress, serverName: String? = nil) {
        self.transport = transport
        self.address = address
        self.serverName = serverName
    }

    public var description: String {
        "\(transport):\(address.ipAddress ?? "?"):\(address.port ?? 0)" + (serverName.map { " (\($0))" } ?? "")
    }
}
