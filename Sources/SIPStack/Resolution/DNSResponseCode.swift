/// The RCODE of a DNS response (RFC 1035 §4.1.1), the low four bits.
public struct DNSResponseCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The RCODE value (0–15).
    public var rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// No error (the name may still have no records of the asked type: NODATA).
    public static let noError = DNSResponseCode(rawValue: 0)
    /// The server could not interpret the query.
    public static let formatError = DNSResponseCode(rawValue: 1)
    /// SERVFAIL: the server could not answer (upstream failure, DNSSEC failure); says nothing about the name.
    public static let serverFailure = DNSResponseCode(rawValue: 2)
    /// NXDOMAIN: the name does not exist.
    public static let nameError = DNSResponseCode(rawValue: 3)
    /// The server does not support the kind of query.
    public static let notImp = DNSResponseCode(rawValue: 4)
    /// The server refuses to answer (policy).
    public static let refused = DNSResponseCode(rawValue: 5)

    /// The mnemonic (`NOERROR`, `NXDOMAIN`, `SERVFAIL`, ...) or `RCODE<n>`.
    public var description: String {
        switch self {
        case .noError: "NOERROR"
        case .formatError: "FORMERR"
        case .serverFailure: "SERVFAIL"
        case .nameError: "NXDOMAIN"
        case .notImp: "NOTIMP"
        case .refused: "REFUSED"
        default: "RCODE\(rawValue)"
        }
    }
}
