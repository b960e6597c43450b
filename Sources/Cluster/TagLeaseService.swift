import Logging
import PUAStore
import ServiceLifecycle

/// Holds this node's sharing tags as PostgreSQL session advisory locks (`pg_try_advisory_lock(cluster id,
/// tag hash)`) on a connection of its own, running ``TagLeases``. A lock lives as long as its session: when a
/// node dies its connection closes and the lock is free at once (a host that vanishes without closing is
/// bounded by the server's TCP keepalive); the backup's next check takes it. The session's
/// `application_name` is `lamplighter:<node>`, so `pg_locks` shows who holds what.
public actor TagLeaseService {
    let url: String
    let clusterID: Int
    let node: String
    let logger: Logger
    let clock: @Sendable () -> ContinuousClock.Instant
    let onChange: @Sendable (_ tag: String, _ held: Bool) async -> Void
    var leases: TagLeases
    /// The lease configuration (own and backup tags).
    public nonisolated let configuration: TagLeases.Configuration
    var connection: PostgresConnection?
    var check: (at: ContinuousClock.Instant, generation: UInt64)?

    /// - Parameter onChange: told (in order) when a tag is taken (`true`) or lost (`false`).
    public init(
        url: String, clusterID: Int, node: String, configuration: TagLeases.Configuration, logger: Logger,
        clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now },
        onChange: @escaping @Sendable (_ tag: String, _ held: Bool) async -> Void
    ) {
        self.url = url
        self.clusterID = clusterID
        self.node = node
        self.logger = logger
        self.clock = clock
        self.onChange = onChange
        leases = TagLeases(configuration: configuration)
        self.configuration = configuration
    }

    /// The lock key of `tag` within the cluster: FNV-1a, 32 bits.
    public static func lockKey(_ tag: String) -> Int32 {
        var hash: UInt32 = 0x811c_9dc5
        for byte in tag.utf8 { hash = (hash ^ UInt32(byte)) &* 0x0100_0193 }
        return Int32(bitPattern: hash)
    }

    /// Tags held now.
    public var heldTags: Set<String> { leases.held }

    /// Makes the first attempt (the own tags) and returns once it is answered, so the caller knows what it holds.
    public func start() async {
        await execute(leases.start(now: clock()))
    }

    /// Runs the checks until cancelled.
    public func runChecks() async {
        while !Task.isCancelled {
            if let check, check.at <= clock() {
                self.check = nil
                await execute(leases.checkDue(generation: check.generation, now: clock()))
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Gives every tag up and closes the session (its locks go with it).
    public func stop() async {
        await execute(leases.stop())
        await connection?.close()
        connection = nil
    }

    func execute(_ actions: [TagLeases.Action]) async {
        for action in actions {
            switch action {
            case .tryAcquire(let tags):
                if let acquired = await attempt(tags) {
                    await execute(leases.attemptFinished(acquired: acquired, now: clock()))
                } else {
                    await execute(leases.sessionLost(now: clock()))
                }
            case .activate(let tag):
                logger.info("sharing tag held", metadata: ["tag": "\(tag)", "node": "\(node)"])
                await onChange(tag, true)
            case .deactivate(let tag):
                logger.warning("sharing tag released", metadata: ["tag": "\(tag)", "node": "\(node)"])
                await onChange(tag, false)
            case .scheduleCheck(let at, let generation):
                check = (at, generation)
            }
        }
    }

    /// Tries the locks of `tags` on the session (a new one if needed); nil when the session failed.
    func attempt(_ tags: [String]) async -> [String]? {
        do throws(PostgresError) {
            let session: PostgresConnection
            if let connection {
                session = connection
            } else {
                session = try await PostgresConnection.connect(url: url)
                _ = try await session.query("SELECT set_config('application_name', $1, false)", ["lamplighter:\(node)"])
                connection = session
            }
            if tags.isEmpty {
                _ = try await session.query("SELECT 1")
                return []
            }
            var acquired: [String] = []
            for tag in tags {
                let rows = try await session.query(
                    "SELECT pg_try_advisory_lock($1::integer, $2::integer)", [String(clusterID), String(Self.lockKey(tag))])
                if rows.rows.first?.first == "t" { acquired.append(tag) }
            }
            return acquired
        } catch {
            if connection != nil { logger.error("sharing tag session lost", metadata: ["error": "\(error)"]) }
            await connection?.close()
            connection = nil
            return nil
        }
    }

    /// Who holds the tags this node knows (its own and backup tags), by `application_name`, from `pg_locks`;
    /// nil when the database cannot be asked.
    public func holders() async -> [String: String]? {
        guard let connection else { return nil }
        let rows: PostgresRows
        do {
            rows = try await connection.query(
                "SELECT l.objid::bigint, a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                    + "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.classid = $1::bigint::oid",
                [String(clusterID)])
        } catch {
            return nil
        }
        var holders: [String: String] = [:]
        for tag in leases.configuration.allTags {
            let key = String(UInt32(bitPattern: Self.lockKey(tag)))
            if let row = rows.rows.first(where: { $0.first == key }), let name = row.last ?? nil {
                holders[tag] = name.hasPrefix("lamplighter:") ? String(name.dropFirst("lamplighter:".count)) : name
            }
        }
        return holders
    }
}

extension TagLeaseService: Service {
    /// The checks, until cancelled or a graceful shutdown; then every tag is released.
    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.runChecks() }
        await stop()
    }
}
