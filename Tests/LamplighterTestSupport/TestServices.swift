import Feeds
import Foundation
import PUAStore

/// The real Redis, PostgreSQL and Kamailio that `deploy/test` starts on 127.0.0.1, found through the
/// `LAMPLIGHTER_TEST_*` variables it exports (defaults: its ports 26379, 25432, 25060).
///
/// Integration tests fail (never skip) when a service is missing: start them with `deploy/test` or
/// `deploy/services start --test` and `source .state/test/env`.
public enum TestServices {
    static let environment = ProcessInfo.processInfo.environment

    /// Redis URL.
    public static var redisURL: String {
        environment["LAMPLIGHTER_TEST_REDIS_URL"] ?? "redis://127.0.0.1:26379"
    }

    /// Redis endpoint parsed from ``redisURL``.
    public static var redisEndpoint: RedisEndpoint {
        let url = URLComponents(string: redisURL)
        return RedisEndpoint(host: url?.host ?? "127.0.0.1", port: url?.port ?? 26379, password: url?.password)
    }

    /// Lamplighter's PostgreSQL database.
    public static var databaseURL: String {
        environment["LAMPLIGHTER_TEST_DATABASE_URL"] ?? "postgresql://lamplighter:lamplighter@127.0.0.1:25432/lamplighter"
    }

    /// Kamailio's own PostgreSQL database (presentity, active_watchers, ...).
    public static var kamailioDatabaseURL: String {
        environment["LAMPLIGHTER_TEST_KAMAILIO_DATABASE_URL"] ?? "postgresql://kamailio:kamailio@127.0.0.1:25432/kamailio"
    }

    /// The Kamailio presence server, `sip:127.0.0.1:25060`.
    public static var kamailioURI: String {
        environment["LAMPLIGHTER_TEST_KAMAILIO_URI"] ?? "sip:127.0.0.1:25060"
    }

    /// The Kamailio registrar (`deploy/kamailio/registrar.cfg`), `sip:127.0.0.1:25070`: it publishes every contact
    /// change on the fixed channel `lamplighter:registrations` (and call states on `lamplighter:dialogs`) of the
    /// test Redis, with AORs `sip:<user>@127.0.0.1`.
    public static var registrarURI: String {
        environment["LAMPLIGHTER_TEST_REGISTRAR_URI"] ?? "sip:127.0.0.1:25070"
    }

    /// `host:port` of ``registrarURI`` (`sip:127.0.0.1:25070` gives `127.0.0.1:25070`), as sipp takes its remote.
    public static var registrarHostPort: String { hostPort(of: registrarURI) }

    /// `host:port` of a `sip:[user@]host:port[;params]` URI.
    static func hostPort(of uri: String) -> String {
        var rest = Substring(uri)
        if rest.lowercased().hasPrefix("sip:") { rest = rest.dropFirst(4) }
        if let at = rest.firstIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        if let parameters = rest.firstIndex(where: { $0 == ";" || $0 == "?" }) { rest = rest[..<parameters] }
        return String(rest)
    }

    /// A connected Redis, waiting up to `timeout` seconds for it to come up.
    public static func redis(timeout: Double = 20) async throws -> RedisConnection {
        try await retrying(timeout: timeout, what: "Redis at \(redisEndpoint)") {
            let connection = try await RedisConnection.connect(to: redisEndpoint)
            try await connection.ping()
            return connection
        }
    }

    /// A connected PostgreSQL session on Lamplighter's database, waiting up to `timeout` seconds.
    public static func postgres(url: String = databaseURL, timeout: Double = 20) async throws -> PostgresConnection {
        try await retrying(timeout: timeout, what: "PostgreSQL") {
            try await PostgresConnection.connect(url: url)
        }
    }

    static func retrying<T>(timeout: Double, what: String, _ body: () async throws -> T) async throws -> T {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            do {
                return try await body()
            } catch {
                if Date() > deadline {
                    throw TestServiceUnavailable(
                        message: "\(what) is not reachable (\(error)); run the tests with deploy/test, or start the services "
                            + "with `deploy/services start --test` and `source .state/test/env`")
                }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }
}

/// A service the integration tests need is not running.
public struct TestServiceUnavailable: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }

    public init(message: String) {
        self.message = message
    }
}
