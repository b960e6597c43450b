import Foundation

/// Names no other test (or test run) uses: AORs, Redis keys, table names.
public enum UniqueNames {
    private static let counter = Counter()
    private static let runID: String = {
        let pid = ProcessInfo.processInfo.processIdentifier
        let random = UInt32.random(in: 0...UInt32.max)
        return "\(pid)x\(String(random, radix: 36))"
    }()

    /// `prefix_<run>_<n>`: lower-case letters, digits and `_`, safe as an SQL identifier, Redis key or SIP user.
    public static func make(_ prefix: String) -> String {
        "\(prefix)_\(runID)_\(counter.next())"
    }

    /// A fresh AOR, `sip:t_<run>_<n>@lamplighter.test`.
    public static func aor(domain: String = "lamplighter.test") -> String {
        "sip:\(make("t"))@\(domain)"
    }

    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0

        func next() -> Int {
            lock.lock()
            defer { lock.unlock() }
            value += 1
            return value
        }
    }
}
