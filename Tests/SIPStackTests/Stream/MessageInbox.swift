import SIPCore
import Synchronization
@testable import SIPStack

/// Collects what a transport's `onMessage` delivers, for tests to wait on.
final class MessageInbox: Sendable {
    private let received = Mutex<[(message: SIPMessage, peer: SIPDestination)]>([])

    init() {}

    /// Called from `onMessage`.
    func add(_ message: SIPMessage, from peer: SIPDestination) {
        received.withLock { $0.append((message, peer)) }
    }

    /// Everything so far.
    var all: [(message: SIPMessage, peer: SIPDestination)] { received.withLock { $0 } }

    /// Waits for the `index`th message (0-based); throws on timeout.
    func message(_ index: Int = 0, timeout: Duration = .seconds(5)) async throws -> (message: SIPMessage, peer: SIPDestination) {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let entry = received.withLock({ $0.count > index ? $0[index] : nil }) { return entry }
            guard ContinuousClock.now < deadline else { throw InboxTimeout(index: index) }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// No message arrived within `timeout`.
    struct InboxTimeout: Error, CustomStringConvertible {
        var index: Int
        var description: String { "message #\(index) did not arrive" }
    }
}
