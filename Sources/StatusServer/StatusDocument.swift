import PUACore

/// The `/status` document: the board (service, version, readiness, uptime, components) plus the node, the
/// publications, the store and the feeds when the daemon provides them.
public struct StatusDocument: Sendable, Equatable, Codable {
    public var service: String
    public var version: String
    public var ready: Bool
    public var uptimeSeconds: Double
    public var components: [StatusBoard.Component]
    /// This node and its cluster settings.
    public var cluster: ClusterReport?
    /// Publications per event and state.
    public var publications: [String: [String: Int]]?
    /// Subscriptions per event and state.
    public var subscriptions: [String: [String: Int]]?
    /// PUBLISH transactions started and not yet answered.
    public var transactionsInFlight: Int?
    /// Final replies by status code, and transactions without one by error kind, since start.
    public var replies: [String: Int]?
    /// The store: changes waiting, and the last write.
    public var database: DatabaseReport?
    /// Each feed's counters.
    public var feeds: [FeedReport]?

    /// The store as /status shows it.
    public struct DatabaseReport: Sendable, Equatable, Codable {
        /// Changed publications not yet written.
        public var unflushed: Int
        public var lastFlushAt: Double?
        public var lastFlushSeconds: Double?
        public var lastFlushRecords: Int?
        public var lastFlushSucceeded: Bool?
    }

    init(report: StatusBoard.Report, cluster: ClusterReport?, engine: EngineStatistics?, subscriptions: [SubscriptionSnapshot]?, feeds: [FeedReport]?) {
        service = report.service
        version = report.version
        ready = report.ready
        uptimeSeconds = report.uptimeSeconds
        components = report.components
        self.cluster = cluster
        publications = engine?.publications
        self.subscriptions = subscriptions.map { list in
            var counts: [String: [String: Int]] = [:]
            for subscription in list { counts[subscription.parameters.event, default: [:]]["\(subscription.state)", default: 0] += 1 }
            return counts
        }
        transactionsInFlight = engine?.transactionsInFlight
        replies = engine?.replies
        database = engine.map {
            DatabaseReport(
                unflushed: $0.unflushed, lastFlushAt: $0.lastFlushAt, lastFlushSeconds: $0.lastFlushSeconds,
                lastFlushRecords: $0.lastFlushRecords, lastFlushSucceeded: $0.lastFlushSucceeded)
        }
        self.feeds = feeds
    }
}
