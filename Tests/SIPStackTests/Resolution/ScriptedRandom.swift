/// A "random" generator returning given values in order (then zeros), to make SRV weighting exact in tests.
struct ScriptedRandom: RandomNumberGenerator {
    var values: [UInt64]

    init(_ values: [UInt64]) {
        self.values = values
    }

    mutating func next() -> UInt64 {
        values.isEmpty ? 0 : values.removeFirst()
    }
}
