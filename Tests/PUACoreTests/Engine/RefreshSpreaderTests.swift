import LamplighterTestSupport
import Testing
@testable import PUACore

@Suite struct RefreshSpreaderTests {
    let t = ContinuousClock.now

    @Test func publicationsMadeTogetherRefreshSpreadOverTheirWindow() {
        var spreader = RefreshSpreader(origin: t)
        var random = SplitMix64(seed: 42)
        let earliest = t + .seconds(1800)
        let latest = t + .seconds(3240)
        var perSecond: [Int64: Int] = [:]
        for _ in 0..<20_000 {
            let at = spreader.place(earliest: earliest, latest: latest, using: &random)
            #expect(at >= earliest && at <= latest)
            perSecond[(at - t).components.seconds, default: 0] += 1
        }
        let mean = 20_000.0 / 1441
        let busiest = perSecond.values.max() ?? 0
        #expect(Double(busiest) <= 2 * mean, "busiest second \(busiest), mean \(mean)")
        #expect(perSecond.count >= 1400, "almost every second of the window is used")
    }

    @Test func oneRandomChoiceIsLumpierThanTwo() {
        func busiest(choices: Int) -> Int {
            var spreader = RefreshSpreader(origin: t, choices: choices)
            var random = SplitMix64(seed: 7)
            for _ in 0..<20_000 { _ = spreader.place(earliest: t, latest: t + .seconds(999), using: &random) }
            return spreader.load.values.map(Int.init).max() ?? 0
        }
        #expect(busiest(choices: 2) < busiest(choices: 1))
    }

    @Test func releasedRefreshesFreeTheirSecond() {
        var spreader = RefreshSpreader(origin: t)
        var random = SplitMix64(seed: 1)
        let at = spreader.place(earliest: t + .seconds(10), latest: t + .seconds(10), using: &random)
        #expect(spreader.placed(at: at) == 1)
        spreader.release(at)
        #expect(spreader.placed(at: at) == 0)
        #expect(spreader.load.isEmpty)
        spreader.release(at)  // releasing twice is harmless
        #expect(spreader.load.isEmpty)
    }

    @Test func aWindowShorterThanASecondStaysInside() {
        var spreader = RefreshSpreader(origin: t)
        var random = SplitMix64(seed: 3)
        for _ in 0..<100 {
            let at = spreader.place(earliest: t + .milliseconds(5_100), latest: t + .milliseconds(5_300), using: &random)
            #expect(at >= t + .milliseconds(5_100) && at <= t + .milliseconds(5_300))
        }
    }
}
