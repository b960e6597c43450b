import Cluster
import Foundation
import Feeds
import LamplighterConfig
import Logging
import Metrics
import NIOCore
import NIOPosix
import PUACore
import PUAStore
import Prometheus
import SIPCore
import SIPStack
import ServiceLifecycle
import StatusServer

/// Wires the components together and runs them as services of one `ServiceGroup`.
struct Daemon {
    let configuration: LamplighterConfiguration
    let logger: Logger

    func run() async throws {
        // Before any metric is created: swift-metrics writes to the registry /metrics shows.
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let board = StatusBoard(version: LamplighterVersion.current)
        let endpoint = try await Self.startSIP(configuration.sip, logger: logger)
        let resolver = try Self.resolver(configuration.sip, logger: logger)

        let monitor = DependencyMonitor(
            configuration: configuration, board: board, endpoint: endpoint, resolver: resolver, logger: logger)
        let store = Self.store(configuration)
        let engine = try Self.publicationEngine(configuration, store: store.publications, endpoint: endpoint, resolver: resolver) { healthy, detail in
            Task { await board.update("store", healthy ? .ready : .degraded(detail), detail: healthy ? "publications written" : "") }
        }
        let node = configuration.cluster.node ?? ProcessInfo.processInfo.hostName
        // In a cluster: the tags this node holds are known before the stored publications resume, so it
        // resumes only what it refreshes.
        let cluster = await Self.joinCluster(configuration, node: node, engine: engine, logger: logger)
        do {
            // Before the feeds start: stored publications resume (or are re-published) first.
            try await engine.recover()
        } catch {
            logger.error("stored publications could not be loaded; starting empty", metadata: ["error": "\(error)"])
        }
        let subscriptions = try Self.subscriptionEngine(configuration, store: store.subscriptions, endpoint: endpoint, resolver: resolver)
        await endpoint.setRequestHandler { request, _ in await subscriptions.notifyReceived(request) }
        do {
            // Stored subscriptions keep their dialogs (refreshed when due; a 481 re-creates them).
            try await subscriptions.recover()
        } catch {
            logger.error("stored subscriptions could not be loaded", metadata: ["error": "\(error)"])
        }
        let feeds = Self.feedIngest(configuration, engine: engine, stateStore: store.feedState, board: board)
        // Feed state next: lamps whose contacts expired or whose calls changed while the daemon was down are
        // corrected before new events arrive (stream entries not yet acknowledged are delivered again).
        await feeds?.service.restoreState()
        let feedReports: (@Sendable () async -> [FeedReport])? = feeds.map { ingest in
            let service = ingest.service
            return { await service.feedCounters().map(Self.report) }
        }
        var clusterState: (@Sendable () async -> (nodes: [ClusterReport.Node], tags: [ClusterReport.Tag]))?
        if let cluster {
            clusterState = { await Self.clusterState(cluster) }
        }
        let status = StatusHTTPServer.application(
            board: board,
            context: StatusContext(
                cluster: ClusterReport(
                    node: node, id: configuration.cluster.id, sharingTag: configuration.cluster.sharingTag,
                    backupTags: configuration.cluster.id == nil ? nil : configuration.cluster.backupTags),
                engine: engine, subscriptions: subscriptions,
                feeds: feedReports,
                metrics: registry, adminToken: configuration.status.adminToken,
                clusterState: clusterState),
            host: configuration.status.listen.host, port: configuration.status.listen.port,
            logger: Logger(label: "lamplighter.status"))
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: status), .init(service: monitor), .init(service: engine), .init(service: subscriptions)]
                    + [.init(service: MemoryTrimmer(
                        interval: .seconds(configuration.memory.trimInterval), logger: Logger(label: "lamplighter.memory")))]
                    + (feeds.map { [ServiceGroupConfiguration.ServiceConfiguration(service: $0)] } ?? [])
                    + (cluster.map { [.init(service: $0.leases), .init(service: $0.bus)] } ?? []),
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
        await endpoint.close()
        logger.info("stopped")
    }

    /// The cluster's parts: the sharing-tag leases and the Redis channel.
    struct ClusterParts: Sendable {
        let leases: TagLeaseService
        let bus: ClusterBus
    }

    /// With `cluster.id`: the sharing-tag leases (PostgreSQL advisory locks, `cluster.sharing_tag` at once,
    /// `cluster.backup_tags` when free) drive what the engine refreshes, and the Redis channel carries every
    /// publication change to the other nodes. Returns after the first lease attempt; nil outside a cluster.
    static func joinCluster(_ configuration: LamplighterConfiguration, node: String, engine: PublicationEngine, logger: Logger) async -> ClusterParts? {
        guard let clusterID = configuration.cluster.id, let url = configuration.database.url else { return nil }
        let redis = configuration.redis.url
        let endpoint = RedisEndpoint(
            host: redis.host, port: redis.port ?? 6379, username: redis.user, password: redis.password, database: Int(redis.path) ?? 0)
        let leases = TagLeaseService(
            url: url.original, clusterID: clusterID, node: node,
            configuration: .init(ownTags: configuration.cluster.sharingTag.map { [$0] } ?? [], backupTags: configuration.cluster.backupTags),
            logger: Logger(label: "lamplighter.cluster")
        ) { tag, held in
            if held { await engine.tagActivated(tag) } else { await engine.tagDeactivated(tag) }
        }
        let bus = ClusterBus(
            clusterID: clusterID, node: node, endpoint: endpoint, logger: Logger(label: "lamplighter.cluster"),
            heldTags: { Array(await leases.heldTags) }, onAnnouncement: { await engine.announcementReceived($0) })
        await engine.joinCluster(node: node, sharingTag: configuration.cluster.sharingTag, activeTags: []) { bus.announce($0) }
        await leases.start()
        let held = await leases.heldTags.sorted()
        logger.info("cluster joined", metadata: [
            "cluster": "\(clusterID)", "node": "\(node)", "holds": "\(held)", "channel": "\(bus.channel)",
        ])
        return ClusterParts(leases: leases, bus: bus)
    }

    /// The nodes heard and the tags' holders, for /status.
    static func clusterState(_ cluster: ClusterParts) async -> (nodes: [ClusterReport.Node], tags: [ClusterReport.Tag]) {
        let now = Date().timeIntervalSince1970
        let nodes = await cluster.bus.knownPeers().map { ClusterReport.Node(node: $0.node, tags: $0.tags, lastSeenSecondsAgo: max(0, now - $0.lastSeen)) }
        let holders = await cluster.leases.holders() ?? [:]
        let tags = cluster.leases.configuration.allTags.map { ClusterReport.Tag(tag: $0, holder: holders[$0]) }
        return (nodes, tags)
    }

    /// The publication engine (`[pua]`), publishing through the outbound proxy or else the presence server.
    /// Its table is written to PostgreSQL (`database.url`, `database.table`) and recovered from it at start.
    static func publicationEngine(
        _ configuration: LamplighterConfiguration, store: any PresentityStore, endpoint: SIPEndpoint, resolver: SIPResolver,
        storeObserver: @escaping @Sendable (Bool, String) -> Void
    ) throws -> PublicationEngine {
        guard let text = configuration.sip.outboundProxy ?? configuration.sip.presenceServer else {
            preconditionFailure("sip.presence_server is required by configuration")
        }
        let pua = configuration.pua
        let engineConfiguration = PublicationEngine.Configuration(
            machine: .init(defaultExpires: pua.defaultExpires, minExpires: pua.minExpires), hashSize: pua.hashSize,
            userAgent: configuration.sip.userAgent, flushInterval: .seconds(pua.updatePeriod))
        return PublicationEngine(
            configuration: engineConfiguration,
            transport: SIPPublishTransport(endpoint: endpoint, resolver: resolver, defaultNextHop: try SIPURI(parsing: text)),
            store: store, logger: Logger(label: "lamplighter.pua"), storeObserver: storeObserver)
    }

    /// Subscriptions (`send_subscribe`, the admin API's /subscribe): SUBSCRIBE through the outbound proxy or else
    /// the presence server, NOTIFYs to this endpoint's UDP address.
    /// They are written with the publications (every `pua.update_period`) and resumed at start.
    static func subscriptionEngine(
        _ configuration: LamplighterConfiguration, store: any SubscriptionStore, endpoint: SIPEndpoint, resolver: SIPResolver
    ) throws -> SubscriptionEngine {
        guard let text = configuration.sip.outboundProxy ?? configuration.sip.presenceServer else {
            preconditionFailure("sip.presence_server is required by configuration")
        }
        let address = endpoint.localAddress
        let contact = SIPURI(host: address.ipAddress ?? "127.0.0.1", port: address.port ?? 5060)
        return SubscriptionEngine(
            transport: SIPPublishTransport(endpoint: endpoint, resolver: resolver, defaultNextHop: try SIPURI(parsing: text)),
            store: store, flushInterval: .seconds(configuration.pua.updatePeriod), contact: contact, userAgent: configuration.sip.userAgent, updateContact: configuration.pua.updateContact, logger: Logger(label: "lamplighter.subscriptions"))
    }

    /// PostgreSQL (`database.url`) for publications, subscriptions and feed state, rows marked with this node's name
    /// (`cluster.node`, else the host name); a node outside a cluster recovers every row. Memory without a URL.
    static func store(_ configuration: LamplighterConfiguration)
        -> (publications: any PresentityStore, feedState: any FeedStateStore, subscriptions: any SubscriptionStore)
    {
        guard let url = configuration.database.url else { return (InMemoryPresentityStore(), InMemoryFeedStateStore(), InMemorySubscriptionStore()) }
        let cluster = configuration.cluster
        let store = ReconnectingPostgresStore(
            url: url.original, table: configuration.database.table,
            node: cluster.node ?? ProcessInfo.processInfo.hostName, sharingTags: cluster.sharingTag.map { [$0] } ?? [],
            loadsEveryNode: cluster.id == nil)
        return (store, store, store)
    }

    /// The Redis feeds (`[feeds]`) into the engine; nil when every feed is disabled. Their connection state is
    /// shown on the status board as `feeds`.
    static func feedIngest(
        _ configuration: LamplighterConfiguration, engine: PublicationEngine, stateStore: any FeedStateStore, board: StatusBoard
    ) -> FeedIngestService? {
        let feeds = configuration.feeds
        let all: [(FeedKind, LamplighterConfiguration.Feed)] = [(.registrations, feeds.registrations), (.dialogs, feeds.dialogs), (.mwi, feeds.mwi)]
        let enabled = all.filter { $0.1.enabled }
        guard !enabled.isEmpty else { return nil }
        let dialogInfo = feeds.dialogInfo
        let pua = configuration.pua
        let service = FeedService(
            configuration: .init(
                channels: Dictionary(uniqueKeysWithValues: enabled.map { ($0.0, $0.1.key) }),
                registrations: .init(minExpires: pua.minExpires, defaultExpires: pua.defaultExpires),
                dialogs: .init(
                    includeCallID: dialogInfo.includeCallID, includeTags: dialogInfo.includeTags,
                    includeLocalRemote: dialogInfo.includeLocalRemote, publishCaller: dialogInfo.publishCaller,
                    publishCallee: dialogInfo.publishCallee, publishOnTrying: dialogInfo.publishOnTrying,
                    overrideLifetime: dialogInfo.overrideLifetime, defaultLifetime: pua.defaultExpires,
                    stuckAfter: Double(dialogInfo.stuckAfter)),
                voicemailLifetime: pua.defaultExpires, stateFlushInterval: .seconds(pua.updatePeriod)),
            agent: engine, stateStore: stateStore, logger: Logger(label: "lamplighter.feeds"))
        let url = configuration.redis.url
        let endpoint = RedisEndpoint(
            host: url.host, port: url.port ?? 6379, username: url.user, password: url.password, database: Int(url.path) ?? 0)
        let sources = FeedIngestService.Sources(
            channels: enabled.filter { $0.1.mode == .pubsub }.map(\.1.key),
            streams: enabled.filter { $0.1.mode == .stream }.map(\.1.key),
            group: feeds.consumerGroup, consumer: "lamplighter-\(configuration.cluster.node ?? ProcessInfo.processInfo.hostName)")
        let detail = enabled.map { "\($0.0)=\($0.1.mode.rawValue):\($0.1.key)" }.joined(separator: " ")
        return FeedIngestService(service: service, endpoint: endpoint, sources: sources, logger: Logger(label: "lamplighter.feeds")) { state in
            Task {
                switch state {
                case .connecting: await board.update("feeds", .connecting, detail: detail)
                case .ready: await board.update("feeds", .ready, detail: detail)
                case .reconnecting(let why): await board.update("feeds", .failed(why), detail: detail)
                case .stopped: await board.update("feeds", .failed("stopped"), detail: detail)
                }
            }
        }
    }

    /// A feed's counters as /status shows them.
    static func report(_ counters: FeedCounters) -> FeedReport {
        FeedReport(
            feed: counters.feed.rawValue, received: counters.received, applied: counters.applied,
            rejected: Dictionary(uniqueKeysWithValues: counters.rejected.map { ($0.key.rawValue, $0.value) }), stale: counters.stale,
            lastEventAt: counters.lastEventAt, lagSeconds: counters.lagSeconds)
    }

    /// Binds the UDP socket and adds TCP and TLS (listening where `sip.listen` says, else outbound only).
    static func startSIP(_ sip: LamplighterConfiguration.SIP, logger: Logger) async throws -> SIPEndpoint {
        var options = SIPEndpoint.Options()
        options.userAgent = sip.userAgent
        options.receiveBufferSize = sip.udpReceiveBuffer
        options.sendBufferSize = sip.udpSendBuffer
        options.maxClientTransactions = sip.maxTransactions
        if let username = sip.auth.username, let password = sip.auth.password {
            options.credentials = [SIPCredential(username: username, password: password, realm: sip.auth.realm)]
        }
        let udp = sip.listen.first { $0.transport == .udp }?.address ?? HostPort(host: "127.0.0.1", port: 0)
        let endpoint = try await SIPEndpoint.bind(host: udp.host, port: udp.port, options: options, logger: logger)
        logger.info("SIP listening", metadata: ["address": "udp:\(endpoint.localAddress)"])

        let tls = SIPStreamTransport.TLSOptions(
            caFile: sip.tls.caFile, certificateFile: sip.tls.certificateFile, privateKeyFile: sip.tls.privateKeyFile,
            verifyPeer: sip.tls.verifyPeer)
        for kind in [SIPTransportKind.tcp, .tls] {
            let listen = sip.listen.first { $0.transport.rawValue == kind.rawValue }?.address
            try await endpoint.enableStreamTransport(
                kind, options: .init(tls: kind == .tls ? tls : nil),
                listen: listen.map { ($0.host, $0.port) }, logger: logger)
            if let listen { logger.info("SIP listening", metadata: ["address": "\(kind):\(listen)"]) }
        }
        return endpoint
    }

    /// RFC 3263 resolution through `sip.nameserver` or the system's, with a TTL cache.
    static func resolver(_ sip: LamplighterConfiguration.SIP, logger: Logger) throws -> SIPResolver {
        let client: DNSClient
        if let nameserver = sip.nameserver {
            client = DNSClient(nameserver: try SocketAddress.makeAddressResolvingHost(nameserver.host, port: nameserver.port))
        } else {
            do {
                client = try DNSClient.system()
            } catch {
                logger.warning("no system nameserver; only IP-literal SIP URIs resolve", metadata: ["error": "\(error)"])
                client = DNSClient(nameserver: try SocketAddress(ipAddress: "127.0.0.1", port: 53))
            }
        }
        return SIPResolver(dns: DNSCachingLookup(upstream: client))
    }
}
