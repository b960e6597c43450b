import LamplighterTestSupport
import Testing
@testable import SIPStack

extension ResolutionTests {
    /// RFC 2782 ordering: priorities ascending, weighted random within a priority (random injected).
    @Suite struct SRVOrderingTests {
        func srv(_ priority: UInt16, _ weight: UInt16, _ target: String) -> DNSSRVRecord {
            DNSSRVRecord(priority: priority, weight: weight, port: 5060, target: target)
        }

        @Test func lowerPrioritiesComeFirstWhateverTheWeights() {
            var random = SplitMix64(seed: 1)
            for _ in 0..<100 {
                let ordered = SRVOrdering.order([srv(20, 1000, "c"), srv(10, 0, "a"), srv(30, 5, "d"), srv(10, 0, "b")], using: &random)
                #expect(ordered.map(\.priority) == [10, 10, 20, 30])
            }
        }

        @Test func theDrawPicksTheFirstRecordWhoseRunningSumReachesIt() {
            let records = [srv(10, 60, "a"), srv(10, 40, "b")]
            // Sum 100: draws are taken modulo 101. 60 → a (60 ≥ 60); 61 → b; then one record is left.
            var pickA = ScriptedRandom([60, 0])
            #expect(SRVOrdering.order(records, using: &pickA).map(\.target) == ["a", "b"])
            var pickB = ScriptedRandom([61, 0])
            #expect(SRVOrdering.order(records, using: &pickB).map(\.target) == ["b", "a"])
            var wraps = ScriptedRandom([101 + 61, 0])
            #expect(SRVOrdering.order(records, using: &wraps).map(\.target) == ["b", "a"])
        }

        @Test func zeroWeightsGoFirstInTheListSoTheyAreOnlyPickedOnAZeroDraw() {
            let records = [srv(1, 10, "heavy"), srv(1, 0, "zero")]
            var zeroDraw = ScriptedRandom([0, 0])
            #expect(SRVOrdering.order(records, using: &zeroDraw).map(\.target) == ["zero", "heavy"])
            var otherDraw = ScriptedRandom([1, 0])
            #expect(SRVOrdering.order(records, using: &otherDraw).map(\.target) == ["heavy", "zero"])
        }

        @Test func allZeroWeightsKeepTheirOrder() {
            var random = SplitMix64(seed: 7)
            #expect(SRVOrdering.order([srv(5, 0, "x"), srv(5, 0, "y"), srv(5, 0, "z")], using: &random).map(\.target) == ["x", "y", "z"])
        }

        @Test func selectionFrequenciesFollowTheWeights() {
            var random = SplitMix64(seed: 2782)
            let records = [srv(10, 60, "a"), srv(10, 30, "b"), srv(10, 10, "c")]
            var first: [String: Int] = [:]
            let runs = 20_000
            for _ in 0..<runs {
                first[SRVOrdering.order(records, using: &random)[0].target, default: 0] += 1
            }
            // Draws are uniform in 0...100: a wins on 0...60 (61/101), b on 61...90 (30/101), c on 91...100 (10/101).
            let share = first.mapValues { Double($0) / Double(runs) }
            #expect(abs(share["a", default: 0] - 61.0 / 101) < 0.02)
            #expect(abs(share["b", default: 0] - 30.0 / 101) < 0.02)
            #expect(abs(share["c", default: 0] - 10.0 / 101) < 0.02)
        }

        @Test func everyRecordAppearsOnce() {
            var random = SplitMix64(seed: 99)
            let records = (0..<20).map { srv(UInt16($0 % 3), UInt16($0 * 7 % 11), "t\($0)") }
            let ordered = SRVOrdering.order(records, using: &random)
            #expect(Set(ordered) == Set(records) && ordered.count == records.count)
        }
    }
}
