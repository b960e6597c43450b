/// A bounds-checked cursor over a received DNS message; every read past the end, bad pointer or bad
/// length throws ``DNSError/Code/malformed``.
struct DNSMessageReader {
    let bytes: [UInt8]
    private(set) var offset = 0

    /// Most compression pointers followed in one name. Pointers must also point strictly before the
    /// labels that led to them, so a loop is impossible even without this bound.
    static let maximumPointers = 64

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var remaining: Int { bytes.count - offset }

    private func fail(_ why: String) -> DNSError {
        DNSError(code: .malformed, context: "\(why) at offset \(offset) of \(bytes.count)")
    }

    mutating func u8(_ what: String) throws(DNSError) -> UInt8 {
        guard offset < bytes.count else { throw fail("message ends inside \(what)") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16(_ what: String) throws(DNSError) -> UInt16 {
        guard remaining >= 2 else { throw fail("message ends inside \(what)") }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    mutating func u32(_ what: String) throws(DNSError) -> UInt32 {
        guard remaining >= 4 else { throw fail("message ends inside \(what)") }
        defer { offset += 4 }
        return (UInt32(bytes[offset]) << 24) | (UInt32(bytes[offset + 1]) << 16) | (UInt32(bytes[offset + 2]) << 8)
            | UInt32(bytes[offset + 3])
    }

    mutating func skip(_ count: Int, _ what: String) throws(DNSError) -> ArraySlice<UInt8> {
        guard count >= 0, remaining >= count else { throw fail("message ends inside \(what)") }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    /// Reads a possibly compressed name (RFC 1035 §4.1.4) and moves past its in-place part.
    mutating func name(_ what: String) throws(DNSError) -> String {
        var labels: [String] = []
        var wireLength = 1  // the final zero octet
        var position = offset
        var segmentStart = offset
        var end: Int?
        var pointers = 0
        while true {
            guard position < bytes.count else { throw fail("\(what) runs past the end of the message") }
            let length = Int(bytes[position])
            switch length >> 6 {
            case 0:
                if length == 0 {
                    offset = end ?? position + 1
                    return labels.joined(separator: ".")
                }
                guard position + 1 + length <= bytes.count else { throw fail("label of \(what) runs past the end of the message") }
                wireLength += 1 + length
                guard wireLength <= DNSName.maximumWireLength else { throw fail("\(what) is longer than 255 octets") }
                labels.append(DNSName.labelText(bytes[(position + 1)..<(position + 1 + length)]))
                position += 1 + length
            case 3:
                guard position + 1 < bytes.count else { throw fail("compression pointer of \(what) runs past the end") }
                let target = (length & 0x3F) << 8 | Int(bytes[position + 1])
                if end == nil { end = position + 2 }
                pointers += 1
                guard target < segmentStart, pointers <= Self.maximumPointers else {
                    throw fail("compression pointer of \(what) to \(target) does not point backwards")
                }
                segmentStart = target
                position = target
            default:
                throw fail("reserved label type 0x\(String(length, radix: 16)) in \(what)")
            }
        }
    }

    /// Reads a question entry.
    mutating func question() throws(DNSError) -> DNSQuestion {
        let name = try name("question name")
        let type = DNSRecordType(rawValue: try u16("question type"))
        let questionClass = try u16("question class")
        return DNSQuestion(name: name, type: type, questionClass: questionClass)
    }

    /// Reads a resource record, decoding the RDATA of A, AAAA, CNAME, SRV and SOA in class IN.
    mutating func record() throws(DNSError) -> DNSResourceRecord {
        let owner = try name("record name")
        let type = DNSRecordType(rawValue: try u16("record type"))
        let recordClass = try u16("record class")
        let rawTTL = try u32("record TTL")
        let length = Int(try u16("RDLENGTH"))
        guard remaining >= length else { throw fail("RDATA of \(type) record (\(length) octets) runs past the end") }
        let dataEnd = offset + length
        let data: DNSRecordData
        let ttl = rawTTL & 0x8000_0000 == 0 ? rawTTL : 0  // RFC 2181 §8
        guard recordClass == DNSResourceRecord.classIN else {
            return DNSResourceRecord(name: owner, type: type, recordClass: recordClass, ttl: ttl, data: .other(Array(try skip(length, "RDATA"))))
        }
        switch type {
        case .a, .aaaa:
            let size = type == .a ? 4 : 16
            guard length == size else { throw fail("\(type) record with \(length) octets of RDATA") }
            data = .address(DNSIPAddress(bytes: Array(try skip(size, "address")))!)
        case .cname:
            data = .cname(try self.name("CNAME target"))
        case .srv:
            let priority = try u16("SRV priority")
            let weight = try u16("SRV weight")
            let port = try u16("SRV port")
            data = .srv(DNSSRVRecord(priority: priority, weight: weight, port: port, target: try self.name("SRV target")))
        case .soa:
            let primary = try self.name("SOA MNAME")
            let responsible = try self.name("SOA RNAME")
            data = .soa(DNSSOARecord(
                primaryServer: primary, responsible: responsible, serial: try u32("SOA SERIAL"), refresh: try u32("SOA REFRESH"),
                retry: try u32("SOA RETRY"), expire: try u32("SOA EXPIRE"), minimum: try u32("SOA MINIMUM")))
        default:
            data = .other(Array(try skip(length, "RDATA")))
        }
        guard offset == dataEnd else { throw fail("\(type) RDATA is \(length) octets but its fields take \(length + offset - dataEnd)") }
        return DNSResourceRecord(name: owner, type: type, recordClass: recordClass, ttl: ttl, data: data)
    }
}
