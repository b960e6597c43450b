/// The decoded RDATA of a resource record; types that are not decoded keep their raw bytes.
public enum DNSRecordData: Sendable, Hashable {
    /// An A (4 bytes) or AAAA (16 bytes) address.
    case address(DNSIPAddress)
    /// A CNAME's canonical name, without trailing dot.
    case cname(String)
    /// An SRV record.
    case srv(DNSSRVRecord)
    /// An SOA record.
    case soa(DNSSOARecord)
    /// Any other type (including OPT), raw.
    case other([UInt8])
}
