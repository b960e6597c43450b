/// Places refresh timers on whole seconds so that no second carries many more refreshes than the others.
///
/// Each refresh may fire anywhere in its window (from 40 % of the granted lifetime to just before its end, see
/// ``PublicationMachine/Action/scheduleRefresh(earliest:latest:generation:)``). Of `choices` random seconds
/// in the window the spreader takes the one with the fewest refreshes already placed (the "power of two
/// choices"), which keeps the busiest second close to the mean even when 100,000 publications were made in
/// the same few seconds (a restart). Placed refreshes are released when they fire or are superseded.
struct RefreshSpreader: Sendable {
    let origin: ContinuousClock.Instant
    let choices: Int
    private(set) var load: [Int64: Int32] = [:]

    init(origin: ContinuousClock.Instant, choices: Int = 2) {
        self.origin = origin
        self.choices = max(1, choices)
    }

    /// A fire time in `earliest...latest`, on the least loaded of `choices` random seconds; counted until released.
    mutating func place(
        earliest: ContinuousClock.Instant, latest: ContinuousClock.Instant, using random: inout some RandomNumberGenerator
    ) -> ContinuousClock.Instant {
        let first = second(of: earliest)
        let last = max(first, second(of: latest))
        var best = Int64.random(in: first...last, using: &random)
        for _ in 1..<choices {
            let candidate = Int64.random(in: first...last, using: &random)
            if load[candidate, default: 0] < load[best, default: 0] { best = candidate }
        }
        load[best, default: 0] += 1
        let at = origin + .seconds(best) + .milliseconds(Int64.random(in: 0..<1000, using: &random))
        return min(max(at, earliest), max(earliest, latest))
    }

    /// Forgets a refresh placed at `at` (it fired, or its publication re-armed or went away).
    mutating func release(_ at: ContinuousClock.Instant) {
        let key = second(of: at)
        guard let count = load[key] else { return }
        if count <= 1 { load[key] = nil } else { load[key] = count - 1 }
    }

    /// Refreshes placed in the second holding `at`.
    func placed(at: ContinuousClock.Instant) -> Int {
        Int(load[second(of: at)] ?? 0)
    }

    private func second(of instant: ContinuousClock.Instant) -> Int64 {
        let (seconds, attoseconds) = (instant - origin).components
        return attoseconds < 0 ? seconds - 1 : seconds
    }
}
