import Feeds
import LamplighterConfig
import Logging
import NIOCore
import PUAStore
import SIPCore
import SIPStack
import ServiceLifecycle
import StatusServer

/// Connects to Redis, PostgreSQL and the presence server, keeps checking them, and reports each on the
/// status board. Logs "ready" the first time all three answer, and every loss and recovery after that.
struct DependencyMonitor: Service {
    let configuration: LamplighterConfiguration
    let board: StatusBoard
    let endpoint: SIPEndpoint
    let resolver: SIPResolver
    let logger: Logger
    /// Seconds between checks once everything is up.
    var checkInterval: Duration = .seconds(10)

    func run() async throws {
        var redis: RedisConnection?
        var postgres: PostgresConnection?
        var wasReady = false
        var backoff = Duration.seconds(1)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            redis = await checkRedis(redis)
            postgres = await checkPostgres(postgres)
            let sipReady = await checkPresenceServer()
            let ready = redis != nil && postgres != nil && sipReady
            if ready && !wasReady {
                logger.info("ready", metadata: [
                    "redis": "\(configuration.redis.url.masked)",
                    "database": "\(configuration.database.url?.masked ?? "")",
                    "presence_server": "\(configuration.sip.presenceServer ?? "")",
                    "status": "http://\(configuration.status.listen)/status",
                ])
            } else if !ready && wasReady {
                logger.warning("not ready: a dependency stopped answering (see /status)")
            }
            wasReady = ready
            let pause = ready ? checkInterval : backoff
            backoff = ready ? .seconds(1) : min(backoff * 2, .seconds(30))
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
        }
        await redis?.close()
        await postgres?.close()
    }

    private func checkRedis(_ existing: RedisConnection?) async -> RedisConnection? {
        let url = configuration.redis.url
        let endpoint = RedisEndpoint(
            host: url.host, port: url.port ?? 6379, username: url.user, password: url.password,
            database: Int(url.path) ?? 0)
        do {
            let connection: RedisConnection
            if let existing { connection = existing } else { connection = try await RedisConnection.connect(to: endpoint) }
            try await connection.ping()
            await board.update("redis", .ready, detail: url.masked)
            return connection
        } catch {
            logger.warning("Redis check failed", metadata: ["redis": "\(url.masked)", "error": "\(error)"])
            await board.update("redis", .failed("\(error)"), detail: url.masked)
            await existing?.close()
            return nil
        }
    }

    private func checkPostgres(_ existing: PostgresConnection?) async -> PostgresConnection? {
        guard let url = configuration.database.url else { preconditionFailure("database.url is required by configuration") }
        do {
            let connection: PostgresConnection
            if let existing {
                connection = existing
                try await connection.query("SELECT 1")
            } else {
                connection = try await PostgresConnection.connect(url: url.original)
                try await SchemaCheck.verify(connection, table: configuration.database.table)
            }
            await board.update("postgresql", .ready, detail: url.masked)
            return connection
        } catch {
            logger.warning("PostgreSQL check failed", metadata: ["database": "\(url.masked)", "error": "\(error)"])
            await board.update("postgresql", .failed("\(error)"), detail: url.masked)
            await existing?.close()
            return nil
        }
    }

    private func checkPresenceServer() async -> Bool {
        guard let text = configuration.sip.outboundProxy ?? configuration.sip.presenceServer else {
            preconditionFailure("sip.presence_server is required by configuration")
        }
        do {
            let target = try SIPURI(parsing: text)
            let destinations = try await resolver.resolve(target)
            let local = try SIPURI(parsing: "sip:lamplighter@\(endpoint.localAddress.ipAddress ?? "127.0.0.1"):\(endpoint.localAddress.port ?? 5060)")
            let clock = ContinuousClock()
            let started = clock.now
            let response = try await endpoint.send(
                OptionsPing.request(to: target, from: local, userAgent: configuration.sip.userAgent), to: destinations)
            let elapsed = clock.now - started
            guard (200..<300).contains(response.statusCode) else {
                throw DaemonError(message: "OPTIONS answered \(response.statusCode) \(response.reason)")
            }
            await board.update("presence_server", .ready, detail: "\(text) OPTIONS \(response.statusCode) in \(elapsed)")
            return true
        } catch {
            logger.warning("presence server check failed", metadata: ["presence_server": "\(text)", "error": "\(error)"])
            await board.update("presence_server", .failed("\(error)"), detail: text)
            return false
        }
    }
}
