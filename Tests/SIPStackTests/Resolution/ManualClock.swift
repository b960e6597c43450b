import Synchronization

/// A settable time source for cache tests.
final class ManualClock: Sendable {
    private let instant: Mutex<ContinuousClock.Instant>

    init(_ start: ContinuousClock.Instant) {
        instant = Mutex(start)
    }

    var now: ContinuousClock.Instant { instant.withLock { $0 } }

    func advance(_ duration: Duration) {
        instant.withLock { $0 = $0 + duration }
    }
}
