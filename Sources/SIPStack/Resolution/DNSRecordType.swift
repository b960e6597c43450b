/// A DNS resource record type (RFC 1035 §3.2.2); unknown types keep their number.
public struct DNSRecordType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The TYPE value on the wire.
    public var rawValue: UInt16

    public init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    /// IPv4 host address.
    public static let a = DNSRecordType(rawValue: 1)
    /// Canonical name (alias).
    public static let cname = DNSRecordType(rawValue: 5)
    /// Start of authority; its MINIMUM bounds negative caching (RFC 2308).
    public static let soa = DNSRecordType(rawValue: 6)
    /// IPv6 host address (RFC 3596).
    public static let aaaa = DNSRecordType(rawValue: 28)
    /// Service location (RFC 2782).
    public static let srv = DNSRecordType(rawValue: 33)
    /// EDNS(0) pseudo-record (RFC 6891).
    public static let opt = DNSRecordType(rawValue: 41)

    /// `A`, `AAAA`, `SRV`, ... or `TYPE<n>` (RFC 3597) for others.
    public var description: String {
        switch self {
        case .a: "A"
        case .cname: "CNAME"
        case .soa: "SOA"
        case .aaaa: "AAAA"
        case .srv: "SRV"
        case .opt: "OPT"
        default: "TYPE\(rawValue)"
        }
    }
}
