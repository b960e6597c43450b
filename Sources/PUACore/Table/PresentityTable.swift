/// The presentity table: publications keyed by (presentity, event, id) in 2^`pua.hash_size` buckets.
///
/// A plain value with no locks of its own: it is owned by one isolation domain (``PublicationEngine``).
/// Buckets keep each dictionary small and give cluster and persistence code a stable unit to walk.
public struct PresentityTable: Sendable {
    /// Maps keys to buckets.
    public let index: BucketIndex
    private var buckets: [[PublicationKey: PublicationRecord]]
    /// Number of records.
    public private(set) var count = 0

    public init(hashSize: Int) {
        index = BucketIndex(hashSize: hashSize)
        buckets = Array(repeating: [:], count: index.bucketCount)
    }

    /// The record of `key`, if any.
    public subscript(key: PublicationKey) -> PublicationRecord? {
        buckets[index.bucket(of: key)][key]
    }

    /// Inserts or replaces the record under its key.
    /// Makes room for `total` records spread over the buckets, so a bulk load (recovery) does not grow each
    /// bucket step by step.
    mutating func reserveCapacity(_ total: Int) {
        let perBucket = total / max(1, buckets.count) * 5 / 4 + 1
        for index in buckets.indices where buckets[index].capacity < perBucket {
            buckets[index].reserveCapacity(perBucket)
        }
    }

    mutating func insert(_ record: PublicationRecord) {
        let bucket = index.bucket(of: record.key)
        if buckets[bucket].updateValue(record, forKey: record.key) == nil { count += 1 }
    }

    /// Removes the record of `key`; returns it.
    @discardableResult
    mutating func remove(_ key: PublicationKey) -> PublicationRecord? {
        let removed = buckets[index.bucket(of: key)].removeValue(forKey: key)
        if removed != nil { count -= 1 }
        return removed
    }

    /// Changes the record of `key` in place (no copy of the record); returns `body`'s result, or nil when
    /// there is no such record.
    mutating func modify<Result>(_ key: PublicationKey, _ body: (inout PublicationRecord) -> Result) -> Result? {
        let bucket = index.bucket(of: key)
        guard buckets[bucket][key] != nil else { return nil }
        return body(&buckets[bucket][key]!)
    }

    /// The records of one bucket.
    public func records(inBucket bucket: Int) -> Dictionary<PublicationKey, PublicationRecord>.Values {
        buckets[bucket].values
    }

    /// Every record, bucket by bucket.
    public var records: some Sequence<PublicationRecord> {
        buckets.lazy.flatMap { $0.values }
    }

    /// How many records each bucket holds (for the status board and tests of the spread).
    public var bucketSizes: [Int] { buckets.map(\.count) }
}
