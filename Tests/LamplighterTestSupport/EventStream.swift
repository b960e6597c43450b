import Foundation

/// A server-sent events stream read by `curl -N` (installed by deploy/test) into a file the test polls: the
/// `data:` lines so far.
public final class EventStream: Sendable {
    let process: WatchedProcess
    let file: URL

    /// Starts reading `url`.
    public init(url: String) throws {
        file = FileManager.default.temporaryDirectory.appendingPathComponent(UniqueNames.make("sse") + ".txt")
        guard let curl = ["/usr/bin/curl", "/bin/curl"].first(where: FileManager.default.isExecutableFile) else {
            throw Chromium.Failure(message: "curl is not installed (deploy/test installs it)")
        }
        process = try WatchedProcess.spawn([curl, "-sN", "--max-time", "60", url], standardOutput: file.path)
    }

    deinit {
        process.stopBlocking(grace: .seconds(2))
        try? FileManager.default.removeItem(at: file)
    }

    /// Closes the connection (curl ends).
    public func stop() async {
        await process.stop(grace: .seconds(2))
    }

    /// The `data:` payloads received so far.
    public var events: [String] {
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        return text.components(separatedBy: "\n").filter { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }
    }

    /// Waits until `enough` holds for the events so far; returns them, or throws with what arrived.
    public func wait(timeout: Duration = .seconds(10), until enough: ([String]) -> Bool) async throws -> [String] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let events = self.events
            if enough(events) { return events }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw Chromium.Failure(message: "the event stream did not deliver in time; received: \(events)")
    }
}
