/// What the engine keeps of a body as its source gave it: enough to see that the same body came again (so it
/// is not sent again) without keeping the bytes (FNV-1a, 64 bits, and the length; stable across runs, so it
/// is stored and compared after a restart).
public struct BodyDigest: Sendable, Hashable {
    public var hash: UInt64
    public var count: UInt32

    public init(hash: UInt64, count: UInt32) {
        self.hash = hash
        self.count = count
    }

    /// The digest of `body`.
    public init(of body: [UInt8]) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in body { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        self.hash = hash
        count = UInt32(truncatingIfNeeded: body.count)
    }

    /// Stored form: a marker byte no UTF-8 body starts with, the hash and the length (13 bytes, big-endian).
    public var bytes: [UInt8] {
        [0xFF] + (0..<8).map { UInt8(truncatingIfNeeded: hash >> (56 - 8 * $0)) } + (0..<4).map { UInt8(truncatingIfNeeded: count >> (24 - 8 * $0)) }
    }

    /// Reads the stored form; a stored body of an earlier version (not the stored form) is digested.
    public init(stored: [UInt8]) {
        guard stored.count == 13, stored[0] == 0xFF else {
            self.init(of: stored)
            return
        }
        self.init(hash: stored[1...8].reduce(0) { $0 << 8 | UInt64($1) }, count: stored[9...12].reduce(0) { $0 << 8 | UInt32($1) })
    }
}
