/// The question of a DNS message: a name and a type, class IN.
public struct DNSQuestion: Sendable, Hashable, CustomStringConvertible {
    /// QNAME, without trailing dot.
    public var name: String
    /// QTYPE.
    public var type: DNSRecordType
    /// QCLASS; 1 (IN).
    public var questionClass: UInt16

    public init(name: String, type: DNSRecordType, questionClass: UInt16 = DNSResourceRecord.classIN) {
        self.name = DNSName.normalized(name)
        self.type = type
        self.questionClass = questionClass
    }

    /// Whether `other` asks the same thing (names compared case-insensitively, RFC 4343).
    public func matches(_ other: DNSQuestion) -> Bool {
        type == other.type && questionClass == other.questionClass && DNSName.equal(name, other.name)
    }

    /// `name TYPE`, e.g. `_sip._udp.example.com SRV`.
    public var description: String { "\(name.isEmpty ? "." : name) \(type)" }
}
