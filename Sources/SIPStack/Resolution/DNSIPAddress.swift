import NIOCore

/// An IPv4 (A, 4 bytes) or IPv6 (AAAA, 16 bytes) address from a DNS answer.
public struct DNSIPAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address in network byte order: 4 or 16 bytes.
    public let bytes: [UInt8]

    /// `nil` unless `bytes` has 4 or 16 elements.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// An IPv4 address `a.b.c.d`.
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        self.bytes = [a, b, c, d]
    }

    /// Whether this is an IPv6 address.
    public var isIPv6: Bool { bytes.count == 16 }

    /// The socket address of this address and `port`.
    public func socketAddress(port: Int) -> SocketAddress {
        do {
            return try SocketAddress(packedIPAddress: ByteBuffer(bytes: bytes), port: port)
        } catch {
            // Unreachable: the initializer only accepts 4 or 16 bytes, which is what packedIPAddress takes.
            preconditionFailure("DNSIPAddress with \(bytes.count) bytes")
        }
    }

    /// Dotted quad, or RFC 5952 text for IPv6 (lower case, longest run of zero groups as `::`).
    public var description: String {
        guard isIPv6 else { return bytes.map(String.init).joined(separator: ".") }
        let groups = (0..<8).map { UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]) }
        var bestStart = -1, bestLength = 1  // a single zero group is not compressed
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else { index += 1; continue }
            var end = index
            while end < 8, groups[end] == 0 { end += 1 }
            if end - index > bestLength { bestStart = index; bestLength = end - index }
            index = end
        }
        let hex = groups.map { String($0, radix: 16) }
        guard bestStart >= 0 else { return hex.joined(separator: ":") }
        let head = hex[..<bestStart].joined(separator: ":")
        let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
        return head + "::" + tail
    }
}
