/// Maps publication keys to one of 2^hashSize buckets with a hash that is stable across processes and
/// nodes (FNV-1a over the presentity and event), unlike Swift's seeded `Hasher`.
public struct BucketIndex: Sendable, Equatable {
    /// log2 of the bucket count (`pua.hash_size`).
    public let hashSize: Int

    /// `hashSize` from 1 to 20, as configuration allows.
    public init(hashSize: Int) {
        precondition((1...20).contains(hashSize), "hash_size \(hashSize) outside 1...20; configuration checks this")
        self.hashSize = hashSize
    }

    /// Number of buckets.
    public var bucketCount: Int { 1 << hashSize }

    /// The bucket of `key`: all publications of one presentity and event share a bucket.
    public func bucket(of key: PublicationKey) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.presentity.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        hash = (hash ^ 0) &* 0x0000_0100_0000_01b3
        for byte in key.event.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return Int(truncatingIfNeeded: hash & UInt64(bucketCount - 1))
    }
}
