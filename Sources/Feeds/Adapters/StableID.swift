/// Stable XML ids from strings (FNV-1a 64), e.g. a PIDF tuple id per contact: the same input gives the same
/// id in every process and after restarts.
enum StableID {
    static func make(prefix: String, _ text: String) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return prefix + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
