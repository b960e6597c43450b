/// The RFC 2782 order in which SRV targets are tried: ascending priority, and within one priority a
/// weighted random permutation.
public enum SRVOrdering {
    /// Orders `records` for fail-over.
    ///
    /// Within a priority, RFC 2782's selection is repeated until no record is left: records of weight 0
    /// are placed first, a number `r` is drawn uniformly from `0...sum of weights`, and the first record
    /// whose running weight sum is ≥ `r` is taken. `r` is `generator.next() % (sum + 1)` (the bias is
    /// below 2⁻³² for any possible sum), so a scripted generator gives a known order in tests.
    public static func order(_ records: [DNSSRVRecord], using generator: inout some RandomNumberGenerator) -> [DNSSRVRecord] {
        let priorities = Set(records.map(\.priority)).sorted()
        var ordered: [DNSSRVRecord] = []
        ordered.reserveCapacity(records.count)
        for priority in priorities {
            let group = records.filter { $0.priority == priority }
            var remaining = group.filter { $0.weight == 0 } + group.filter { $0.weight != 0 }
            while !remaining.isEmpty {
                let total = remaining.reduce(UInt64(0)) { $0 + UInt64($1.weight) }
                let draw = generator.next() % (total + 1)
                var running: UInt64 = 0
                var chosen = remaining.count - 1
                for (index, record) in remaining.enumerated() {
                    running += UInt64(record.weight)
                    if running >= draw {
                        chosen = index
                        break
                    }
                }
                ordered.append(remaining.remove(at: chosen))
            }
        }
        return ordered
    }
}
