import Foundation

/// A PostgreSQL cluster of one test's own (`deploy/postgres-sandbox`), migrated, on a free port: a fault test
/// stops and starts it without touching the shared test database.
public final class PostgresSandbox: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    public let port: Int
    let directory: String
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The lamplighter database's URL.
    public var url: String { "postgresql://lamplighter:lamplighter@127.0.0.1:\(port)/lamplighter" }

    /// Creates and starts the cluster.
    public init() async throws {
        port = try FreePort.tcp()
        directory = Self.repository.appendingPathComponent(".state").appendingPathComponent(UniqueNames.make("pg-sandbox")).path
        try await start()
    }

    /// Starts it (again).
    public func start() async throws { try await run("start") }

    /// Stops it (fast shutdown: connections are cut).
    public func stop() async throws { try await run("stop") }

    /// Stops it and deletes its data.
    public func remove() async throws { try await run("remove") }

    private func run(_ action: String) async throws {
        let script = Self.repository.appendingPathComponent("deploy/postgres-sandbox").path
        let (status, output) = try await Self.shell(["/bin/bash", script, action, directory, String(port)])
        guard status == 0 else { throw Failure(message: "deploy/postgres-sandbox \(action) failed (\(status)):\n\(output)") }
    }

    /// Runs a command as a ``WatchedProcess`` (not Foundation's `Process`, whose child inherits a signal mask
    /// that blocks SIGCHLD, so bash would never see its own children exit), its output in a file: the server
    /// the command starts inherits its descriptors, so a pipe would never reach end-of-file.
    static func shell(_ arguments: [String]) async throws -> (Int32, String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent(UniqueNames.make("sandbox") + ".log")
        defer { try? FileManager.default.removeItem(at: log) }
        let process = try WatchedProcess.spawn(arguments, standardOutput: log.path)
        let deadline = ContinuousClock.now + .seconds(120)
        while process.isRunning {
            if ContinuousClock.now >= deadline {
                await process.stop(grace: .seconds(5))
                throw Failure(message: "\(arguments.joined(separator: " ")) did not finish within 120 s")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return (process.exitStatus ?? -1, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }
}
