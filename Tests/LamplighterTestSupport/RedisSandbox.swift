import Feeds
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A redis-server of one test's own on a free port, with its append-only file fsynced on every write (as an
/// operator running Streams for at-least-once delivery would configure it): a fault test kills it (-9) and
/// starts it again without touching the shared test Redis.
public final class RedisSandbox: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    public let port: Int
    let directory: String
    private let lock = NSLock()
    private var process: WatchedProcess?
    private var starts = 0

    public var url: String { "redis://127.0.0.1:\(port)" }
    public var endpoint: RedisEndpoint { RedisEndpoint(host: "127.0.0.1", port: port) }

    /// Creates its directory and starts the server.
    public init() async throws {
        port = try FreePort.tcp()
        directory = PostgresSandbox.repository.appendingPathComponent(".state").appendingPathComponent(UniqueNames.make("redis-sandbox")).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try await start()
    }

    /// Starts it (again, on the same port and append-only file) and waits until it answers PING.
    public func start() async throws {
        let run: Int = lock.withLock {
            starts += 1
            return starts
        }
        let spawned = try WatchedProcess.spawn(
            [
                "/usr/bin/redis-server", "--port", String(port), "--bind", "127.0.0.1", "--dir", directory, "--save", "",
                "--appendonly", "yes", "--appendfsync", "always", "--loglevel", "notice",
            ],
            pidFile: "\(directory)/redis.pid", standardOutput: "\(directory)/redis-\(run).log")
        lock.withLock { process = spawned }
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let connection = try? await RedisConnection.connect(to: RedisEndpoint(host: "127.0.0.1", port: port, timeout: 1)) {
                defer { Task { await connection.close() } }
                if (try? await connection.ping()) != nil { return }
            }
            guard spawned.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let log = (try? String(contentsOfFile: "\(directory)/redis-\(run).log", encoding: .utf8)) ?? ""
        throw Failure(message: "redis-server on port \(port) did not answer PING:\n\(log.suffix(2000))")
    }

    /// Kills it with SIGKILL (no shutdown, no final write: what the append-only file holds is what survives).
    public func kill() async throws {
        guard let running = lock.withLock({ process }) else { return }
        guard let pid = running.commandPID else { throw Failure(message: "redis-server's pid is unknown") }
        _ = Glibc.kill(pid, SIGKILL)
        let deadline = ContinuousClock.now + .seconds(10)
        while running.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        guard !running.isRunning else { throw Failure(message: "redis-server (pid \(pid)) outlived SIGKILL") }
        lock.withLock { process = nil }
    }

    /// Stops it and deletes its files.
    public func remove() async {
        if let running = lock.withLock({ process }) { await running.stop(grace: .seconds(5)) }
        try? FileManager.default.removeItem(atPath: directory)
    }
}
