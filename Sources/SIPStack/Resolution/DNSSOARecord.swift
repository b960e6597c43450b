/// The data of an SOA record (RFC 1035 §3.3.13); in a negative answer's authority section it bounds how
/// long the answer may be cached (RFC 2308 §5).
public struct DNSSOARecord: Sendable, Hashable {
    /// MNAME: the zone's primary name server.
    public var primaryServer: String
    /// RNAME: the mailbox of the person responsible, as a domain name.
    public var responsible: String
    /// SERIAL.
    public var serial: UInt32
    /// REFRESH, seconds.
    public var refresh: UInt32
    /// RETRY, seconds.
    public var retry: UInt32
    /// EXPIRE, seconds.
    public var expire: UInt32
    /// MINIMUM: the negative-caching TTL, seconds.
    public var minimum: UInt32

    public init(primaryServer: String, responsible: String, serial: UInt32, refresh: UInt32, retry: UInt32, expire: UInt32, minimum: UInt32) {
        self.primaryServer = primaryServer
        self.responsible = responsible
        self.serial = serial
        self.refresh = refresh
        self.retry = retry
        self.expire = expire
        self.minimum = minimum
    }
}
