import PUACore
import Prometheus

/// What the status endpoint reads besides the board: the node, the engine, the feeds' counters, the metrics
/// registry, and the admin token. Anything nil is left out of the answers (or, for the token, disables the
/// admin API).
public struct StatusContext: Sendable {
    /// This node's name and cluster settings, for /status.
    public var cluster: ClusterReport?
    /// The publication engine, for /status, /publications and POST /publish.
    public var engine: PublicationEngine?
    /// The subscription engine, for /status, /subscriptions and POST /subscribe.
    public var subscriptions: SubscriptionEngine?
    /// The feeds' counters, for /status.
    public var feeds: (@Sendable () async -> [FeedReport])?
    /// The Prometheus registry swift-metrics writes to, for /metrics.
    public var metrics: PrometheusCollectorRegistry?
    /// Bearer token of the admin API; nil disables it (404).
    public var adminToken: String?
    /// The live view of the cluster (nodes heard, tags and their holders), merged into `cluster` for /status.
    public var clusterState: (@Sendable () async -> (nodes: [ClusterReport.Node], tags: [ClusterReport.Tag]))?

    public init(
        cluster: ClusterReport? = nil, engine: PublicationEngine? = nil, subscriptions: SubscriptionEngine? = nil,
        feeds: (@Sendable () async -> [FeedReport])? = nil,
        metrics: PrometheusCollectorRegistry? = nil, adminToken: String? = nil,
        clusterState: (@Sendable () async -> (nodes: [ClusterReport.Node], tags: [ClusterReport.Tag]))? = nil
    ) {
        self.clusterState = clusterState
        self.cluster = cluster
        self.engine = engine
        self.subscriptions = subscriptions
        self.feeds = feeds
        self.metrics = metrics
        self.adminToken = adminToken
    }
}

/// The node in its cluster, as /status shows it.
public struct ClusterReport: Sendable, Equatable, Codable {
    /// This node's name (`cluster.node`).
    public var node: String
    /// `cluster.id`; nil when the node runs alone.
    public var id: Int?
    /// `cluster.sharing_tag`.
    public var sharingTag: String?
    /// `cluster.backup_tags`.
    public var backupTags: [String]?
    /// The nodes heard on the cluster channel, with the tags each says it holds.
    public var nodes: [Node]?
    /// Every tag this node knows (its own and backup ones) and the node holding it, per PostgreSQL.
    public var tags: [Tag]?

    /// A node heard on the cluster channel.
    public struct Node: Sendable, Equatable, Codable {
        public var node: String
        public var tags: [String]
        /// Seconds since its last heartbeat.
        public var lastSeenSecondsAgo: Double

        public init(node: String, tags: [String], lastSeenSecondsAgo: Double) {
            self.node = node
            self.tags = tags
            self.lastSeenSecondsAgo = lastSeenSecondsAgo
        }
    }

    /// A sharing tag and its holder (nil: nobody holds it).
    public struct Tag: Sendable, Equatable, Codable {
        public var tag: String
        public var holder: String?

        public init(tag: String, holder: String?) {
            self.tag = tag
            self.holder = holder
        }
    }

    public init(node: String, id: Int?, sharingTag: String?, backupTags: [String]? = nil) {
        self.node = node
        self.id = id
        self.sharingTag = sharingTag
        self.backupTags = backupTags
    }
}

/// One feed's counters, as /status shows them.
public struct FeedReport: Sendable, Equatable, Codable {
    /// `registrations`, `dialogs` or `mwi`.
    public var feed: String
    /// Messages received.
    public var received: Int
    /// Events applied.
    public var applied: Int
    /// Events rejected, by reason (`invalid_json`, `missing_field`, …).
    public var rejected: [String: Int]
    /// Events dropped as older than the last applied for their key.
    public var stale: Int
    /// When the last event was applied (seconds since 1970).
    public var lastEventAt: Double?
    /// How far behind its own timestamp the last event was applied, seconds (nil when it carried none).
    public var lagSeconds: Double?

    public init(
        feed: String, received: Int, applied: Int, rejected: [String: Int], stale: Int, lastEventAt: Double?, lagSeconds: Double?
    ) {
        self.feed = feed
        self.received = received
        self.applied = applied
        self.rejected = rejected
        self.stale = stale
        self.lastEventAt = lastEventAt
        self.lagSeconds = lagSeconds
    }
}
