/// One resource record of an answer, authority or additional section (RFC 1035 §4.1.3).
public struct DNSResourceRecord: Sendable, Hashable {
    /// Owner name, without trailing dot (empty for the root).
    public var name: String
    /// TYPE.
    public var type: DNSRecordType
    /// CLASS; 1 (IN) for everything this resolver uses. For OPT it is the sender's UDP payload size.
    public var recordClass: UInt16
    /// Seconds the record may be cached.
    public var ttl: UInt32
    /// Decoded RDATA.
    public var data: DNSRecordData

    /// The Internet class.
    public static let classIN: UInt16 = 1

    public init(name: String, type: DNSRecordType, recordClass: UInt16 = DNSResourceRecord.classIN, ttl: UInt32, data: DNSRecordData) {
        self.name = name
        self.type = type
        self.recordClass = recordClass
        self.ttl = ttl
        self.data = data
    }
}
