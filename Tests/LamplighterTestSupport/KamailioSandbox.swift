import Foundation

/// A Kamailio presence server of one test's own (`deploy/kamailio-sandbox`) on a free port, reading
/// presentities from the test PostgreSQL and keeping subscriptions in memory only: a test restarts it to make
/// the server forget its subscriptions, without touching the shared test Kamailio.
public final class KamailioSandbox: Sendable {
    public let port: Int
    let directory: String

    /// Its SIP URI.
    public var uri: String { "sip:127.0.0.1:\(port)" }

    /// Starts it.
    public init() async throws {
        port = try FreePort.tcp()  // the script refuses a busy TCP port; UDP of the same number is free alike in practice
        directory = PostgresSandbox.repository.appendingPathComponent(".state").appendingPathComponent(UniqueNames.make("kamailio-sandbox")).path
        try await start()
    }

    /// Starts it (again); returns once it answers OPTIONS.
    public func start() async throws { try await run("start") }

    /// Stops it; what it knew of subscriptions is gone.
    public func stop() async throws { try await run("stop") }

    /// Stops it and deletes its directory.
    public func remove() async throws { try await run("remove") }

    private func run(_ action: String) async throws {
        let script = PostgresSandbox.repository.appendingPathComponent("deploy/kamailio-sandbox").path
        let pgPort = URLComponents(string: TestServices.kamailioDatabaseURL)?.port ?? 25432
        let (status, output) = try await PostgresSandbox.shell(["/bin/bash", script, action, directory, String(port), String(pgPort)])
        guard status == 0 else {
            throw PostgresSandbox.Failure(message: "deploy/kamailio-sandbox \(action) failed (\(status)):\n\(output)")
        }
    }
}
