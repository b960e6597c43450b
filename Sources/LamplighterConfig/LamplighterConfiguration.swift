/// The daemon's effective configuration: built-in defaults, then the TOML file, then `LAMPLIGHTER_*` variables.
///
/// Keys mirror OpenSIPS's `pua` module parameters where one exists (`pua.hash_size`, `pua.min_expires`, ...).
public struct LamplighterConfiguration: Sendable, Equatable {
    /// Publication table and timing (`[pua]`).
    public struct PUA: Sendable, Equatable {
        /// log2 of the number of hash buckets of the presentity table.
        public var hashSize = 9
        /// The lowest Expires ever sent in a PUBLISH (seconds).
        public var minExpires = 300
        /// Expires used when an update does not ask for one (seconds).
        public var defaultExpires = 3600
        /// How often changed publications and subscriptions are written to the store (seconds); 2 in a cluster
        /// unless set, so a node taking over finds recent state.
        public var updatePeriod = 30
        /// `pua_update_contact`: a NOTIFY's Contact becomes the remote target of its subscription.
        public var updateContact = true
    }

    /// PostgreSQL (`[database]`).
    public struct Database: Sendable, Equatable {
        /// `postgresql://user:password@host:port/dbname`.
        public var url: ServiceURL?
        /// The publication table.
        public var table = "pua"
    }

    /// Clustering (`[cluster]`).
    public struct Cluster: Sendable, Equatable {
        /// Cluster id; nil when the node runs alone.
        public var id: Int?
        /// The sharing tag whose owner publishes; nil when the node publishes everything.
        public var sharingTag: String?
        /// This node's name, written with its rows (`pua.node`) so it recovers its own; nil uses the host name.
        public var node: String?
        /// Tags this node takes over when no other node holds them (fail-over).
        public var backupTags: [String] = []
    }

    /// Digest credentials (`[sip.auth]`).
    public struct SIPAuth: Sendable, Equatable {
        /// User name sent in Authorization.
        public var username: String?
        /// Password; never printed or logged.
        public var password: String?
        /// Only answer challenges of this realm; nil answers any realm.
        public var realm: String?
    }

    /// SIP (`[sip]`).
    public struct SIP: Sendable, Equatable {
        /// Local sockets.
        public var listen: [SIPListenAddress] = [SIPListenAddress(parsing: "udp:127.0.0.1:5070")!]
        /// The presence server (a SIP URI), used as destination of PUBLISH and SUBSCRIBE.
        public var presenceServer: String?
        /// Optional outbound proxy (a SIP URI); overrides the presence server as next hop.
        public var outboundProxy: String?
        /// User-Agent header value.
        public var userAgent = "Lamplighter/0.1"
        /// Digest credentials.
        public var auth = SIPAuth()
        /// TLS settings for sips: and transport=tls.
        public var tls = SIPTLS()
        /// SO_RCVBUF of UDP sockets, bytes.
        public var udpReceiveBuffer = 4 << 20
        /// SO_SNDBUF of UDP sockets, bytes.
        public var udpSendBuffer = 4 << 20
        /// Client transactions in flight at once; more wait (back-pressure).
        public var maxTransactions = 2048
        /// DNS server for RFC 3263 SRV/A lookups, host:port; nil uses /etc/resolv.conf.
        public var nameserver: HostPort?
    }

    /// TLS (`[sip.tls]`).
    public struct SIPTLS: Sendable, Equatable {
        /// PEM file of trusted CAs; nil uses the system trust store.
        public var caFile: String?
        /// PEM certificate presented by TLS listeners (and as client certificate).
        public var certificateFile: String?
        /// PEM private key of `certificateFile`.
        public var privateKeyFile: String?
        /// Verify the server certificate and its name (on by default).
        public var verifyPeer = true
    }

    /// Redis (`[redis]`).
    public struct Redis: Sendable, Equatable {
        /// `redis://[user:password@]host:port[/db]`.
        public var url = try! ServiceURL(parsing: "redis://127.0.0.1:6379", schemes: ["redis"])
    }

    /// How a feed is read from Redis.
    public enum FeedMode: String, Sendable, Equatable, CaseIterable {
        /// SUBSCRIBE to a channel: events published while the daemon is down are lost.
        case pubsub
        /// XREADGROUP on a stream with a consumer group: at-least-once.
        case stream
    }

    /// One feed (`[feeds.registrations]`, `[feeds.dialogs]`, `[feeds.mwi]`).
    public struct Feed: Sendable, Equatable {
        /// Whether the feed is read at all.
        public var enabled = true
        /// Pub/sub or stream.
        public var mode = FeedMode.pubsub
        /// The channel (pubsub) or stream key (stream).
        public var key: String
    }

    /// Event feeds (`[feeds]`).
    public struct Feeds: Sendable, Equatable {
        /// Registration (usrloc) events.
        public var registrations = Feed(key: "lamplighter:registrations")
        /// Dialog events (BLF, BLA).
        public var dialogs = Feed(key: "lamplighter:dialogs")
        /// Message-waiting events.
        public var mwi = Feed(key: "lamplighter:mwi")
        /// Consumer group for stream mode.
        public var consumerGroup = "lamplighter"
        /// How dialogs become dialog-info (`[feeds.dialog_info]`, the options of `pua_dialoginfo`).
        public var dialogInfo = DialogInfo()
    }

    /// Dialog-info options (`[feeds.dialog_info]`).
    public struct DialogInfo: Sendable, Equatable {
        public var includeCallID = true
        public var includeTags = true
        public var includeLocalRemote = true
        public var publishCaller = true
        public var publishCallee = true
        public var publishOnTrying = false
        /// Lifetime of dialog publications; unset uses `pua.default_expires`.
        public var overrideLifetime: Int?
        /// Dialogs still trying, proceeding or early this many seconds after their last event are ended.
        public var stuckAfter = 120
    }

    /// Status endpoint and admin API (`[status]`).
    public struct Status: Sendable, Equatable {
        /// Where /status listens; loopback by default.
        public var listen = HostPort(host: "127.0.0.1", port: 8080)
        /// Bearer token for the admin API; the admin API is off without one.
        public var adminToken: String?
    }

    /// Process memory (`[memory]`).
    public struct Memory: Sendable, Equatable {
        /// Seconds between returns of freed heap pages to the kernel (`malloc_trim`); 0 never returns them.
        public var trimInterval = 60
        /// Most malloc arenas (`M_ARENA_MAX`); 0 keeps glibc's default. `MALLOC_ARENA_MAX` in the environment wins.
        public var arenas = 2
    }

    /// Logging (`[log]`).
    public struct Log: Sendable, Equatable {
        /// Log levels, as swift-log names them.
        public enum Level: String, Sendable, Equatable, CaseIterable {
            case trace, debug, info, notice, warning, error, critical
        }

        /// Lowest level logged.
        public var level = Level.info
    }

    public var pua = PUA()
    public var database = Database()
    public var cluster = Cluster()
    public var sip = SIP()
    public var redis = Redis()
    public var feeds = Feeds()
    public var status = Status()
    public var memory = Memory()
    public var log = Log()

    /// The built-in defaults.
    public init() {}
}
