import Foundation

/// A JSON-lines file of timed feed events (`{"at": seconds, "feed": name, "event": {…}}` per line), and the
/// publisher that plays it into Redis with its timing: the demo, tests and benchmarks use it.
public struct FeedReplay: Sendable {
    /// One line.
    public struct Entry: Sendable, Equatable {
        /// Seconds from the start.
        public var at: Double
        public var feed: FeedKind
        /// The event JSON, as published.
        public var payload: [UInt8]
    }

    /// A line that cannot be played.
    public struct LineError: Error, Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var context: String
        public var description: String { "line \(line): \(context)" }
    }

    /// Where a feed's events go.
    public struct Target: Sendable, Equatable {
        public enum Mode: String, Sendable, Equatable {
            case pubsub, stream
        }

        public var key: String
        public var mode: Mode

        public init(key: String, mode: Mode) {
            self.key = key
            self.mode = mode
        }
    }

    public var entries: [Entry]

    /// Parses a replay file; blank lines and lines starting with `#` are skipped. Entries keep file order
    /// (times must not decrease).
    public init(parsing text: String) throws(LineError) {
        entries = []
        var last = 0.0
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let number = index + 1
            guard let object = (try? JSONSerialization.jsonObject(with: Data(trimmed.utf8))) as? [String: Any] else {
                throw LineError(line: number, context: "not a JSON object")
            }
            guard let at = (object["at"] as? NSNumber)?.doubleValue, at >= 0, at.isFinite else {
                throw LineError(line: number, context: "\"at\" must be a number of seconds ≥ 0")
            }
            guard at >= last else { throw LineError(line: number, context: "\"at\" \(at) is before the previous line's \(last)") }
            guard let name = object["feed"] as? String, let feed = FeedKind(rawValue: name) else {
                throw LineError(line: number, context: "\"feed\" must be one of \(FeedKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard let event = object["event"] as? [String: Any],
                  let payload = try? JSONSerialization.data(withJSONObject: event, options: [.sortedKeys, .withoutEscapingSlashes])
            else {
                throw LineError(line: number, context: "\"event\" must be a JSON object")
            }
            last = at
            entries.append(Entry(at: at, feed: feed, payload: Array(payload)))
        }
    }

    /// Publishes every entry to its feed's target at `at ÷ speed` seconds after the start (`speed` 0: at once).
    /// Returns the number published; feeds without a target are skipped.
    public func play(
        into redis: RedisConnection, targets: [FeedKind: Target], speed: Double = 1
    ) async throws -> Int {
        let start = ContinuousClock.now
        var published = 0
        for entry in entries {
            guard let target = targets[entry.feed] else { continue }
            if speed > 0 {
                let due = start + .milliseconds(Int64((entry.at / speed * 1000).rounded()))
                if due > .now { try await Task.sleep(until: due) }
            }
            switch target.mode {
            case .pubsub:
                _ = try await redis.command(bytes: [Array("PUBLISH".utf8), Array(target.key.utf8), entry.payload])
            case .stream:
                _ = try await redis.command(bytes: [Array("XADD".utf8), Array(target.key.utf8), Array("*".utf8), Array("payload".utf8), entry.payload])
            }
            published += 1
        }
        return published
    }
}
