import Foundation
import Logging
import Metrics
import PUACore
import ServiceLifecycle

/// The ingest side: Redis messages → decoded events → adapters → the publication engine.
///
/// One actor owns the three adapters and their check queue, so events of one key apply in arrival order.
/// Bad messages are logged with the feed and field and counted per reason; they never stop the feed.
public actor FeedService {
    public struct Configuration: Sendable {
        /// Channel name per feed (`lamplighter:registrations`, `lamplighter:dialogs`, `lamplighter:mwi`).
        public var channels: [FeedKind: String]
        public var registrations: RegistrationAdapter.Configuration
        public var dialogs: DialogAdapter.Options
        /// Lifetime of message-summary publications.
        public var voicemailLifetime: Int
        /// How often due checks (silent expiry, watchdog, idle) run.
        public var checkInterval: Duration
        /// How often changed adapter state is written to the state store (`pua.update_period`).
        public var stateFlushInterval: Duration

        public init(
            channels: [FeedKind: String] = FeedService.defaultChannels,
            registrations: RegistrationAdapter.Configuration = .init(), dialogs: DialogAdapter.Options = .init(),
            voicemailLifetime: Int = 3600, checkInterval: Duration = .milliseconds(250), stateFlushInterval: Duration = .seconds(5)
        ) {
            self.stateFlushInterval = stateFlushInterval
            self.channels = channels
            self.registrations = registrations
            self.dialogs = dialogs
            self.voicemailLifetime = voicemailLifetime
            self.checkInterval = checkInterval
        }
    }

    public static let defaultChannels: [FeedKind: String] = [
        .registrations: "lamplighter:registrations", .dialogs: "lamplighter:dialogs", .mwi: "lamplighter:mwi",
    ]

    let configuration: Configuration
    let agent: any PresenceUserAgent
    /// Where adapter state is kept across restarts; nil keeps it in memory only.
    let stateStore: (any FeedStateStore)?
    let logger: Logger
    let clock: @Sendable () -> Double
    private let feedOfChannel: [String: FeedKind]
    var registrations: RegistrationAdapter
    var dialogs: DialogAdapter
    var voicemail: MessageSummaryAdapter
    private var checks = FeedCheckQueue()
    /// Events applied, per feed (for the status board and tests).
    public private(set) var applied: [FeedKind: Int] = [:]
    /// Events rejected, per reason.
    public private(set) var rejected: [FeedEventError.Reason: Int] = [:]
    /// Events dropped as older than the last applied for their key.
    public private(set) var stale = 0
    /// Per-feed counters for the status endpoint.
    var counters: [FeedKind: FeedCounters] = [:]
    /// Acknowledgements of applied stream entries, released once their effect is in the state store.
    var heldAcknowledgements: [@Sendable () -> Void] = []
    /// Adapter state not yet written (entries whose write failed wait here for the next flush).
    var unwrittenState: (write: [FeedStateKey: FeedStateRecord], delete: Set<FeedStateKey>) = ([:], [])
    /// A state flush is running (a second one waits for it, so no acknowledgement is released before its write).
    var isFlushingState = false

    public init(
        configuration: Configuration = Configuration(), agent: any PresenceUserAgent, stateStore: (any FeedStateStore)? = nil,
        logger: Logger, clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) {
        self.configuration = configuration
        self.agent = agent
        self.stateStore = stateStore
        self.logger = logger
        self.clock = clock
        feedOfChannel = Dictionary(configuration.channels.map { ($0.value, $0.key) }, uniquingKeysWith: { first, _ in first })
        registrations = RegistrationAdapter(configuration: configuration.registrations)
        dialogs = DialogAdapter(options: configuration.dialogs)
        voicemail = MessageSummaryAdapter(lifetime: configuration.voicemailLifetime)
    }

    /// The channels to subscribe to.
    public nonisolated var channels: [String] { configuration.channels.values.sorted() }

    /// Applies one message: decode, adapter, actions. Never throws: faults are logged and counted.
    public func messageReceived(_ message: FeedMessage) async {
        guard let feed = feedOfChannel[message.source] else {
            logger.warning("message from an unknown channel", metadata: ["channel": "\(message.source)"])
            return
        }
        counters[feed, default: FeedCounters(feed: feed)].received += 1
        let event: FeedEvent
        do {
            event = try FeedEvent.decode(message.payload, feed: feed)
        } catch {
            rejected[error.reason, default: 0] += 1
            counters[feed, default: FeedCounters(feed: feed)].rejected[error.reason, default: 0] += 1
            Counter(label: "lamplighter_feed_events_rejected_total", dimensions: [("feed", feed.rawValue), ("reason", error.reason.rawValue)]).increment()
            logger.warning("feed event rejected", metadata: [
                "feed": "\(feed)", "field": "\(error.field ?? "-")", "reason": "\(error.reason.rawValue)", "error": "\(error.context)",
            ])
            return
        }
        let now = clock()
        let actions: [FeedAction]
        switch event {
        case .registration(let registration): actions = registrations.eventReceived(registration, now: now)
        case .dialog(let dialog): actions = dialogs.eventReceived(dialog, now: now)
        case .messageSummary(let summary): actions = voicemail.eventReceived(summary)
        }
        applied[feed, default: 0] += 1
        let timestamp: Double? = switch event {
        case .registration(let registration): registration.order.timestamp
        case .dialog(let dialog): dialog.order.timestamp
        case .messageSummary(let summary): summary.order.timestamp
        }
        counters[feed, default: FeedCounters(feed: feed)].applied += 1
        counters[feed]?.lastEventAt = now
        counters[feed]?.lagSeconds = timestamp.map { max(0, now - $0) }
        Counter(label: "lamplighter_feed_events_total", dimensions: [("feed", feed.rawValue)]).increment()
        await execute(actions, feed: feed)
    }

    /// Runs every check due at `now` (the run loop calls this; tests pass a later time instead of waiting).
    public func fireDueChecks(now: Double) async {
        while let entry = checks.popDue(now: now) {
            let actions: [FeedAction]
            switch entry.feed {
            case .registrations: actions = registrations.checkDue(entry.key, now: now)
            case .dialogs: actions = dialogs.checkDue(entry.key, now: now)
            case .mwi: actions = []
            }
            await execute(actions, feed: entry.feed)
        }
    }

    /// Checks waiting.
    public var pendingChecks: Int { checks.count }

    /// Each configured feed's counters, in feed order.
    public func feedCounters() -> [FeedCounters] {
        FeedKind.allCases.filter { configuration.channels[$0] != nil }.map { counters[$0] ?? FeedCounters(feed: $0) }
    }

    func execute(_ actions: [FeedAction], feed: FeedKind) async {
        for action in actions {
            switch action {
            case .publish(let parameters):
                do {
                    try await agent.sendPublish(parameters)
                } catch {
                    logger.warning("feed publication refused", metadata: ["feed": "\(feed)", "error": "\(error)"])
                }
            case .scheduleCheck(let key, let at):
                checks.push(FeedCheckQueue.Entry(at: at, feed: feed, key: key))
            case .dropStale(let key):
                stale += 1
                counters[feed, default: FeedCounters(feed: feed)].stale += 1
                Counter(label: "lamplighter_feed_events_stale_total", dimensions: [("feed", feed.rawValue)]).increment()
                logger.info("stale feed event dropped", metadata: ["feed": "\(feed)", "key": "\(key)"])
            }
        }
    }
}

extension FeedService {
    /// Applies `sources`' batches (acknowledging each applied batch through its source's `acknowledge`) and runs
    /// due checks, until every source's stream ends or the task is cancelled.
    public func consume(_ sources: [(messages: AsyncStream<[FeedMessage]>, acknowledge: @Sendable ([FeedMessage]) -> Void)]) async {
        await withTaskGroup(of: Void.self) { group in
            for source in sources {
                group.addTask {
                    for await batch in source.messages {
                        for message in batch { await self.messageReceived(message) }
                        await self.acknowledgeWhenStored { source.acknowledge(batch) }
                    }
                }
            }
            let checks = Task {
                var lastFlush = ContinuousClock.now
                while !Task.isCancelled {
                    try? await Task.sleep(for: self.configuration.checkInterval)
                    await self.fireDueChecks(now: self.clock())
                    if ContinuousClock.now - lastFlush >= self.configuration.stateFlushInterval {
                        lastFlush = .now
                        await self.flushState()
                    }
                }
            }
            await group.waitForAll()
            checks.cancel()
            // The final state of this run, and the acknowledgements it releases.
            await flushState()
        }
    }

    /// The subscription source of `subscriber` (nothing to acknowledge).
    public nonisolated func consume(_ subscriber: RedisSubscriber) async {
        let nothing: @Sendable ([FeedMessage]) -> Void = { _ in }
        await consume([(subscriber.messages, nothing)])
    }
}

/// Runs a ``FeedService`` as a service: pub/sub feeds through a ``RedisSubscriber``, stream feeds through a
/// ``RedisStreamReader``; a graceful shutdown stops both.
public struct FeedIngestService: Service {
    /// How each feed's key is read.
    public struct Sources: Sendable {
        public var channels: [String]
        public var streams: [String]
        public var group: String
        public var consumer: String

        public init(channels: [String], streams: [String] = [], group: String = "lamplighter", consumer: String = "lamplighter") {
            self.channels = channels
            self.streams = streams
            self.group = group
            self.consumer = consumer
        }
    }

    /// The feed service it runs.
    public let service: FeedService
    let endpoint: RedisEndpoint
    let sources: Sources
    let logger: Logger
    let onState: @Sendable (FeedConnectionState) -> Void

    public init(
        service: FeedService, endpoint: RedisEndpoint, sources: Sources, logger: Logger,
        onState: @escaping @Sendable (FeedConnectionState) -> Void
    ) {
        self.service = service
        self.endpoint = endpoint
        self.sources = sources
        self.logger = logger
        self.onState = onState
    }

    public func run() async throws {
        let subscriber = sources.channels.isEmpty
            ? nil : RedisSubscriber(endpoint: endpoint, channels: sources.channels, logger: logger, onState: onState)
        let reader = sources.streams.isEmpty
            ? nil
            : RedisStreamReader(
                endpoint: endpoint, streams: sources.streams, group: sources.group, consumer: sources.consumer, logger: logger,
                onState: onState)
        var inputs: [(messages: AsyncStream<[FeedMessage]>, acknowledge: @Sendable ([FeedMessage]) -> Void)] = []
        let nothing: @Sendable ([FeedMessage]) -> Void = { _ in }
        if let subscriber { inputs.append((subscriber.messages, nothing)) }
        if let reader {
            let acknowledge: @Sendable ([FeedMessage]) -> Void = { reader.acknowledge($0) }
            inputs.append((reader.messages, acknowledge))
        }
        let stop: @Sendable () -> Void = {
            subscriber?.stop()
            reader?.stop()
        }
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await service.consume(inputs)
            } onCancel: {
                stop()
            }
        } onGracefulShutdown: {
            stop()
        }
        // consume() ended with a final state flush, which released the last acknowledgements.
        do {
            try await reader?.sendPendingAcknowledgements()
        } catch {
            logger.warning("the last stream entries were not acknowledged; they are delivered again at the next start", metadata: ["error": "\(error)"])
        }
    }
}
