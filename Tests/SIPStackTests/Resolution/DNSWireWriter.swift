/// Writes DNS wire bytes by hand in tests, so that offsets (for compression pointers) are explicit.
struct DNSWireWriter {
    var bytes: [UInt8] = []

    var offset: Int { bytes.count }

    mutating func u8(_ value: UInt8) { bytes.append(value) }

    mutating func u16(_ value: UInt16) { bytes += [UInt8(value >> 8), UInt8(value & 0xFF)] }

    mutating func u32(_ value: UInt32) { bytes += [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)] }

    /// Length-prefixed labels, without the terminating zero (add `end()` or `pointer(_:)`).
    mutating func labels(_ labels: String...) {
        for label in labels {
            bytes.append(UInt8(label.utf8.count))
            bytes += label.utf8
        }
    }

    /// The root label, ending a name.
    mutating func end() { bytes.append(0) }

    /// A compression pointer to `offset`.
    mutating func pointer(_ offset: Int) { u16(0xC000 | UInt16(offset)) }

    /// A header: ID, flags, and the four counts.
    mutating func header(id: UInt16, flags: UInt16, questions: UInt16 = 1, answers: UInt16 = 0, authorities: UInt16 = 0, additionals: UInt16 = 0) {
        u16(id)
        u16(flags)
        u16(questions)
        u16(answers)
        u16(authorities)
        u16(additionals)
    }

    /// TYPE, CLASS IN, TTL and RDLENGTH of a record whose name was just written.
    mutating func recordFields(type: UInt16, ttl: UInt32, length: UInt16) {
        u16(type)
        u16(1)
        u32(ttl)
        u16(length)
    }
}
