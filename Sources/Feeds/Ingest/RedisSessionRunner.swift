import CHiredis
import Foundation
import Logging
import Metrics
import Synchronization

/// The thread behind a feed connection: connects, runs a session until it fails, reconnects with capped
/// exponential backoff (0.1 s doubling to 5 s, back to 0.1 s after a session that was up), and reports every
/// state change. hiredis blocks, so each runner has a thread of its own, never the Swift concurrency pool.
final class RedisSessionRunner: Sendable {
    /// A session on a connected context: returns why it ended; the context is its to free.
    typealias Session = @Sendable (UnsafeMutablePointer<redisContext>) -> String

    let endpoint: RedisEndpoint
    private let what: String
    private let logger: Logger
    private let stopping = Atomic<Bool>(false)
    private let stateBox = Mutex<FeedConnectionState>(.connecting)
    private let onState: @Sendable (FeedConnectionState) -> Void

    init(endpoint: RedisEndpoint, what: String, logger: Logger, onState: @escaping @Sendable (FeedConnectionState) -> Void) {
        self.endpoint = endpoint
        self.what = what
        self.logger = logger
        self.onState = onState
    }

    /// Starts the thread; `finished` runs on it once stopped.
    func start(threadName: String, session: @escaping Session, finished: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            run(session)
            finished()
        }
        thread.name = threadName
        thread.start()
    }

    var state: FeedConnectionState { stateBox.withLock { $0 } }

    var isStopping: Bool { stopping.load(ordering: .acquiring) }

    func stop() {
        stopping.store(true, ordering: .releasing)
    }

    /// Records `state` and tells the observer when it changed.
    func set(_ state: FeedConnectionState) {
        let changed = stateBox.withLock { current -> Bool in
            defer { current = state }
            return current != state
        }
        if changed { onState(state) }
    }

    private func run(_ session: Session) {
        var backoff = 0.1
        /// When the connection was lost, until the next one is up: the gap (a subscriber's pub/sub messages
        /// published in it are gone; a stream reader reads on from its last acknowledged entry).
        var lostAt: ContinuousClock.Instant?
        while !isStopping {
            switch RedisConnection.openContext(endpoint) {
            case .failure(let error):
                set(.reconnecting("\(error)"))
                logger.warning("redis \(what) cannot connect", metadata: ["redis": "\(endpoint)", "error": "\(error)"])
            case .success(let context):
                if let since = lostAt {
                    let gap = ContinuousClock.now - since
                    let seconds = Double(gap.components.seconds) + Double(gap.components.attoseconds) / 1e18
                    Recorder(label: "lamplighter_redis_gap_seconds", dimensions: [("connection", what)]).record(seconds)
                    logger.warning("redis \(what) connected again", metadata: [
                        "redis": "\(endpoint)", "gap_seconds": "\(String(format: "%.1f", seconds))",
                        "note": "\(what == "subscriber" ? "pub/sub events published in the gap are lost" : "reading on from the last acknowledged entry")",
                    ])
                    lostAt = nil
                }
                let ended = session(context)
                if !isStopping {
                    set(.reconnecting(ended))
                    Counter(label: "lamplighter_redis_connections_lost_total", dimensions: [("connection", what)]).increment()
                    logger.warning("redis \(what) connection lost", metadata: ["redis": "\(endpoint)", "error": "\(ended)"])
                    lostAt = .now
                    backoff = 0.1  // It was up: retry soon.
                }
            }
            var left = backoff
            while left > 0, !isStopping {
                Thread.sleep(forTimeInterval: 0.05)
                left -= 0.05
            }
            backoff = min(backoff * 2, 5)
        }
        set(.stopped)
    }
}
