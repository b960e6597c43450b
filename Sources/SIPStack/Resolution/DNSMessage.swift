/// A DNS message (RFC 1035 §4.1): building queries and parsing responses, no I/O.
///
/// Parsing is total: any byte string either yields a message or throws ``DNSError`` with code
/// ``DNSError/Code/malformed``. Sizes are bounded (``maximumSize``, ``maximumRecords``, 255-octet names,
/// backward-only compression pointers), so hostile input costs at most linear work.
public struct DNSMessage: Sendable, Hashable {
    /// Largest message accepted (the 16-bit length limit of DNS over TCP).
    public static let maximumSize = 65_535
    /// Most questions plus records accepted in one message.
    public static let maximumRecords = 1_024
    /// Most CNAME records followed by ``records(_:of:)``.
    public static let maximumCNAMEChain = 8

    /// ID, copied from query to response.
    public var id: UInt16
    /// QR: a response, not a query.
    public var isResponse: Bool
    /// OPCODE (0 = standard query).
    public var opcode: UInt8
    /// AA: the answer comes from an authoritative server.
    public var isAuthoritative: Bool
    /// TC: the response did not fit and was cut.
    public var isTruncated: Bool
    /// RD: recursion desired.
    public var recursionDesired: Bool
    /// RA: recursion available.
    public var recursionAvailable: Bool
    /// RCODE.
    public var responseCode: DNSResponseCode
    /// Question section.
    public var questions: [DNSQuestion]
    /// Answer section.
    public var answers: [DNSResourceRecord]
    /// Authority section (an SOA in negative answers).
    public var authorities: [DNSResourceRecord]
    /// Additional section (addresses of SRV targets, OPT).
    public var additionals: [DNSResourceRecord]

    /// Creates a message from its parts (tests and caches; the resolver parses them).
    public init(
        id: UInt16 = 0, isResponse: Bool = true, opcode: UInt8 = 0, isAuthoritative: Bool = false, isTruncated: Bool = false,
        recursionDesired: Bool = true, recursionAvailable: Bool = true, responseCode: DNSResponseCode = .noError,
        questions: [DNSQuestion] = [], answers: [DNSResourceRecord] = [], authorities: [DNSResourceRecord] = [],
        additionals: [DNSResourceRecord] = []
    ) {
        self.id = id
        self.isResponse = isResponse
        self.opcode = opcode
        self.isAuthoritative = isAuthoritative
        self.isTruncated = isTruncated
        self.recursionDesired = recursionDesired
        self.recursionAvailable = recursionAvailable
        self.responseCode = responseCode
        self.questions = questions
        self.answers = answers
        self.authorities = authorities
        self.additionals = additionals
    }

    /// Parses a message received from the network.
    public init(parsing input: some Collection<UInt8>) throws(DNSError) {
        guard input.count <= Self.maximumSize else {
            throw DNSError(code: .malformed, context: "message of \(input.count) octets exceeds \(Self.maximumSize)")
        }
        var reader = DNSMessageReader(Array(input))
        id = try reader.u16("header")
        let flags = try reader.u16("header")
        let questionCount = Int(try reader.u16("header"))
        let answerCount = Int(try reader.u16("header"))
        let authorityCount = Int(try reader.u16("header"))
        let additionalCount = Int(try reader.u16("header"))
        isResponse = flags & 0x8000 != 0
        opcode = UInt8((flags >> 11) & 0x0F)
        isAuthoritative = flags & 0x0400 != 0
        isTruncated = flags & 0x0200 != 0
        recursionDesired = flags & 0x0100 != 0
        recursionAvailable = flags & 0x0080 != 0
        responseCode = DNSResponseCode(rawValue: UInt8(flags & 0x000F))
        let recordCount = answerCount + authorityCount + additionalCount
        guard questionCount + recordCount <= Self.maximumRecords else {
            throw DNSError(code: .malformed, context: "header announces \(questionCount + recordCount) entries, more than \(Self.maximumRecords)")
        }
        // A question takes at least 5 octets and a record at least 11: reject impossible counts before reading.
        guard questionCount * 5 + recordCount * 11 <= reader.remaining else {
            throw DNSError(code: .malformed, context: "header announces \(questionCount) questions and \(recordCount) records in \(reader.remaining) octets")
        }
        questions = []
        for _ in 0..<questionCount { questions.append(try reader.question()) }
        answers = []
        for _ in 0..<answerCount { answers.append(try reader.record()) }
        authorities = []
        for _ in 0..<authorityCount { authorities.append(try reader.record()) }
        additionals = []
        for _ in 0..<additionalCount { additionals.append(try reader.record()) }
    }

    /// The wire form of a standard query for `name` and `type` (class IN), with one question.
    ///
    /// - Parameters:
    ///   - recursionDesired: sets RD; a stub resolver talking to a recursive server wants it.
    ///   - ednsPayloadSize: when set, adds an EDNS(0) OPT record advertising this UDP payload size (RFC 6891).
    public static func query(
        id: UInt16, name: String, type: DNSRecordType, recursionDesired: Bool = true, ednsPayloadSize: UInt16? = nil
    ) throws(DNSError) -> [UInt8] {
        let encodedName = try DNSName.encode(name)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(12 + encodedName.count + 4 + 11)
        func put16(_ value: UInt16) { bytes.append(UInt8(value >> 8)); bytes.append(UInt8(value & 0xFF)) }
        put16(id)
        put16(recursionDesired ? 0x0100 : 0)
        put16(1)
        put16(0)
        put16(0)
        put16(ednsPayloadSize == nil ? 0 : 1)
        bytes += encodedName
        put16(type.rawValue)
        put16(DNSResourceRecord.classIN)
        if let size = ednsPayloadSize {
            bytes.append(0)  // root owner
            put16(DNSRecordType.opt.rawValue)
            put16(size)
            put16(0)  // extended RCODE, version
            put16(0)  // flags (no DO)
            put16(0)  // RDLENGTH
        }
        return bytes
    }

    /// The first question, which is the only one in practice.
    public var question: DNSQuestion? { questions.first }

    /// The class-IN answer records of `type` owned by `name`, following CNAMEs in the answer section
    /// (at most ``maximumCNAMEChain``), and the name the chain ended at.
    ///
    /// Empty records with `canonicalName` different from `name` mean the server gave an alias but not the
    /// data of its target, which is then worth a query of its own.
    public func records(_ type: DNSRecordType, of name: String) -> (records: [DNSResourceRecord], canonicalName: String) {
        var current = DNSName.normalized(name)
        for _ in 0...Self.maximumCNAMEChain {
            let found = answers.filter { $0.type == type && $0.recordClass == DNSResourceRecord.classIN && DNSName.equal($0.name, current) }
            if !found.isEmpty || type == .cname { return (found, current) }
            let alias = answers.lazy.compactMap { record -> String? in
                guard record.type == .cname, DNSName.equal(record.name, current), case .cname(let target) = record.data else { return nil }
                return target
            }.first
            guard let alias else { return ([], current) }
            current = alias
        }
        return ([], current)
    }

    /// The SRV records for `name` in the answer section.
    public func srvRecords(of name: String) -> [DNSSRVRecord] {
        records(.srv, of: name).records.compactMap { record in
            if case .srv(let srv) = record.data { srv } else { nil }
        }
    }

    /// The addresses of `type` (A or AAAA) for `name` in the answer section, CNAMEs followed.
    public func addresses(_ type: DNSRecordType, of name: String) -> [DNSIPAddress] {
        records(type, of: name).records.compactMap { record in
            if case .address(let address) = record.data { address } else { nil }
        }
    }

    /// Addresses of `type` for `name` given in the additional section (e.g. for an SRV target).
    public func additionalAddresses(_ type: DNSRecordType, of name: String) -> [DNSIPAddress] {
        additionals.compactMap { record in
            guard record.type == type, record.recordClass == DNSResourceRecord.classIN, DNSName.equal(record.name, name),
                  case .address(let address) = record.data else { return nil }
            return address
        }
    }

    /// How long a negative answer (NXDOMAIN, or NOERROR without data) may be cached: the smaller of the
    /// authority SOA's TTL and its MINIMUM (RFC 2308 §5); `nil` without an SOA.
    public var negativeCacheTTL: UInt32? {
        authorities.lazy.compactMap { record -> UInt32? in
            guard case .soa(let soa) = record.data else { return nil }
            return min(record.ttl, soa.minimum)
        }.first
    }
}
