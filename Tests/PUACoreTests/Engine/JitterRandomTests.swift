import Testing
@testable import PUACore

@Suite struct JitterRandomTests {
    @Test func eachGeneratorStartsElsewhereAndSpreadsEvenly() {
        // 10,000 generators' first values: no two alike.
        var firsts = Set<UInt64>()
        for _ in 0..<10_000 {
            var generator = JitterRandom()
            firsts.insert(generator.next())
        }
        #expect(firsts.count == 10_000)
        // One generator's values over 16 buckets: each within 20 % of the mean (chi-square would be stricter;
        // this catches a broken mix or a stuck state).
        var generator = JitterRandom()
        var buckets = [Int](repeating: 0, count: 16)
        for _ in 0..<160_000 { buckets[Int(generator.next() >> 60)] += 1 }
        #expect(buckets.allSatisfy { (8_000...12_000).contains($0) }, "\(buckets)")
        #expect(Int.random(in: 0..<10, using: &generator) < 10)
    }
}
