import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The built `lamplighter` binary run as the daemon an operator runs (`lamplighter run --config`), as a
/// ``WatchedProcess`` that cannot outlive the test. Each start logs to a file of its own (`run-N.log`) that the
/// test reads; the environment holds no `LAMPLIGHTER_*` variable, so only the test's configuration applies.
public final class LamplighterDaemon: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Where the configuration and logs are.
    public let directory: URL
    public let configuration: URL
    private let lock = NSLock()
    private var process: WatchedProcess?
    private var runs = 0

    /// The executable next to the test bundle (swift test runs from the build products folder).
    public static var binary: URL {
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [products, products.deletingLastPathComponent()].map { $0.appendingPathComponent("lamplighter") }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    /// Writes `configuration` (TOML) into a fresh folder; nothing runs yet.
    public init(name: String, configuration text: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(UniqueNames.make(name))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        configuration = directory.appendingPathComponent("lamplighter.toml")
        try text.write(to: configuration, atomically: true, encoding: .utf8)
    }

    deinit {
        lock.withLock { process }?.stopBlocking(grace: .seconds(5))
    }

    /// The log of start number `run` (1 is the first).
    public func log(run: Int) -> String {
        (try? String(contentsOf: directory.appendingPathComponent("run-\(run).log"), encoding: .utf8)) ?? ""
    }

    /// Starts the daemon and waits until it logs `ready`; returns the run number.
    @discardableResult
    public func start(timeout: Duration = .seconds(30)) async throws -> Int {
        let run = lock.withLock {
            runs += 1
            return runs
        }
        let environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("LAMPLIGHTER_") }
        let spawned = try WatchedProcess.spawn(
            [Self.binary.path, "run", "--config", configuration.path], workingDirectory: directory.path,
            pidFile: directory.appendingPathComponent("lamplighter.pid").path,
            standardOutput: directory.appendingPathComponent("run-\(run).log").path, permissions: 0o644, environment: environment)
        lock.withLock { process = spawned }
        try await waitForLog("ready", run: run, timeout: timeout)
        return run
    }

    /// Waits until the log of `run` contains `text`; fails with the log's tail if the daemon exits or time runs out.
    public func waitForLog(_ text: String, run: Int, timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            let log = self.log(run: run)
            if log.contains(text) { return }
            let running = lock.withLock { process }?.isRunning ?? false
            if !running || ContinuousClock.now >= deadline {
                throw Failure(message: "the daemon \(running ? "did not log" : "exited before logging") \"\(text)\"; log of run \(run):\n\(log.suffix(4000))")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// SIGKILL, as a crash: no graceful shutdown, no final flush. Waits until it is gone.
    public func kill() async throws {
        guard let process = lock.withLock({ process }) else { return }
        guard let pid = process.commandPID else { throw Failure(message: "the daemon's pid is unknown") }
        _ = Glibc.kill(pid, SIGKILL)
        let deadline = ContinuousClock.now + .seconds(10)
        while process.isRunning {
            if ContinuousClock.now >= deadline { throw Failure(message: "the daemon survived SIGKILL") }
            try await Task.sleep(for: .milliseconds(10))
        }
        lock.withLock { self.process = nil }
    }

    /// SIGTERM (graceful shutdown), waiting up to `grace`.
    public func stop(grace: Duration = .seconds(10)) async {
        guard let process = lock.withLock({ process }) else { return }
        await process.stop(grace: grace)
        lock.withLock { self.process = nil }
    }
}
