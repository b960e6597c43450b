/// A reply to a PUBLISH, reduced to what RFC 3903 publication handling needs.
public struct PublishReply: Sendable, Equatable {
    /// The final (or provisional) status code.
    public var statusCode: Int
    /// `SIP-ETag` of a 2xx.
    public var etag: String?
    /// `Expires` granted by a 2xx.
    public var expires: Int?
    /// `Min-Expires` of a 423.
    public var minExpires: Int?
    /// `Retry-After` in seconds (typically on 503).
    public var retryAfter: Int?

    public init(statusCode: Int, etag: String? = nil, expires: Int? = nil, minExpires: Int? = nil, retryAfter: Int? = nil) {
        self.statusCode = statusCode
        self.etag = etag
        self.expires = expires
        self.minExpires = minExpires
        self.retryAfter = retryAfter
    }
}

/// A PUBLISH to send; the runner adds addressing, Event, Call-ID and CSeq.
public struct PublishRequest: Sendable, Equatable {
    /// `SIP-If-Match`, stamped from the ETag current when the request is built; nil for an initial PUBLISH.
    public var ifMatch: String?
    /// The body; nil for a refresh or a removal.
    public var body: [UInt8]?
    /// `Content-Type` of `body`; nil when there is no body.
    public var contentType: String?
    /// `Expires`; 0 removes the publication.
    public var expires: Int

    public init(ifMatch: String?, body: [UInt8]?, contentType: String?, expires: Int) {
        self.ifMatch = ifMatch
        self.body = body
        self.contentType = contentType
        self.expires = expires
    }

    /// What a request does (RFC 3903 section 4).
    public enum Kind: String, Sendable, CaseIterable {
        /// No `SIP-If-Match`: creates the publication.
        case initial
        /// A new body for an existing publication.
        case modify
        /// Extends an existing publication's lifetime, no body.
        case refresh
        /// `Expires: 0`: ends it.
        case remove
    }

    /// This request's kind.
    public var kind: Kind {
        if ifMatch == nil { return .initial }
        if expires == 0 { return .remove }
        return body == nil ? .refresh : .modify
    }
}

/// Why a PUBLISH failed, for logs, metrics and callbacks.
public struct PublishFailure: Error, Sendable, Equatable {
    /// The failure's category.
    public enum Code: Sendable, Equatable {
        /// No reply: transaction timeout or transport error.
        case transactionFailed
        /// 408 Request Timeout.
        case requestTimeout
        /// 5xx, including 503 with Retry-After.
        case serverError
        /// 412 to an initial PUBLISH (no `SIP-If-Match`): the server is broken; not retried.
        case conditionalRequestFailed
        /// 423 without a usable `Min-Expires`.
        case intervalTooBrief
        /// 489 Bad Event: the server does not accept this event package.
        case badEvent
        /// Any other final failure (3xx, other 4xx including 401/407 the stack could not answer, 6xx).
        case rejected
    }

    /// Category.
    public var code: Code
    /// The reply's status code; nil for `transactionFailed`.
    public var statusCode: Int?
    /// True when a retry timer is armed (transient failures); false when nothing is retried until the next update.
    public var willRetry: Bool

    public init(code: Code, statusCode: Int?, willRetry: Bool) {
        self.code = code
        self.statusCode = statusCode
        self.willRetry = willRetry
    }
}

/// RFC 3903 §4 client side of one publication (OpenSIPS `pua` `publ_info` semantics) as a pure state machine:
/// events in, actions out.
///
/// - At most one PUBLISH is in flight; updates arriving meanwhile coalesce (the latest wins) and go out
///   when the reply comes.
/// - `SIP-If-Match` is stamped when a request is built, from the ETag current at that moment.
/// - Time is injected as `ContinuousClock.Instant`; refresh and retry timers are actions carrying a
///   generation, and a firing with any other generation is stale and ignored. Every new timer or request
///   starts a new generation, so there is no cancel action.
/// - Jitter comes from an injected random number generator, so tests are exact.
public struct PublicationMachine: Sendable {
    /// Tunables (the `pua` module parameters and retry policy).
    public struct Configuration: Sendable, Equatable {
        /// `Expires` when an update does not ask for one (`default_expires`).
        public var defaultExpires: Int
        /// Never request less than this (`min_expires`).
        public var minExpires: Int
        /// Refresh no later than the granted expiry minus `max(refreshMargin seconds, 10 % of it)`.
        public var refreshMargin: Int
        /// First retry delay after a transient failure; doubles per attempt.
        public var backoffBase: Duration
        /// Retry delays never exceed this (except to honour Retry-After).
        public var backoffCap: Duration
        /// Retry delays shrink by a random fraction up to this (0...1).
        public var backoffJitter: Double

        public init(
            defaultExpires: Int = 3600, minExpires: Int = 0, refreshMargin: Int = 10,
             backoffBase: Duration = .seconds(2),
            backoffCap: Duration = .seconds(300), backoffJitter: Double = 0.25
        ) {
            self.defaultExpires = defaultExpires
            self.minExpires = minExpires
            self.refreshMargin = refreshMargin
                self.backoffBase = backoffBase
            self.backoffCap = backoffCap
            self.backoffJitter = backoffJitter
        }
    }

    /// What the runner must do, in order.
    public enum Action: Sendable, Equatable {
        /// Send this PUBLISH in a new client transaction; its outcome comes back as `replyReceived`
        /// or `transactionFailed`.
        case sendPublish(PublishRequest)
        /// Arm the refresh timer to fire at any instant in `earliest...latest` (the runner spreads refreshes of
        /// many publications over that window); a firing with another `generation` is stale.
        case scheduleRefresh(earliest: ContinuousClock.Instant, latest: ContinuousClock.Instant, generation: UInt64)
        /// Arm the retry timer to fire at `at`; a firing with another `generation` is stale.
        case scheduleTimer(at: ContinuousClock.Instant, generation: UInt64)
        /// A 2xx applied the publication (initial, modification or refresh).
        case reportPublished
        /// A PUBLISH failed.
        case reportFailure(PublishFailure)
        /// The record is gone (removed, or never published): drop the machine.
        case forget
    }

    /// Where the publication stands.
    public enum State: Sendable, Equatable {
        /// Nothing published and nothing in flight.
        case idle
        /// A PUBLISH is in flight.
        case publishing
        /// The last PUBLISH got a 2xx; a refresh timer is armed.
        case published
        /// The last PUBLISH failed: a retry is armed (`lastFailure.willRetry`), or nothing is retried until
        /// the next update.
        case failed
        /// Forgotten; every further event is ignored.
        case removed
    }

    /// Current state.
    public internal(set) var state: State = .idle
    /// The current `SIP-ETag`, from the latest 2xx.
    public internal(set) var etag: String?
    /// `Expires` granted by the latest 2xx.
    public internal(set) var grantedExpires: Int?
    /// The latest failure, until a 2xx clears it.
    public internal(set) var lastFailure: PublishFailure?
    /// The request in flight, if any.
    public var requestInFlight: PublishRequest? { inFlight?.request }

    let configuration: Configuration
    var random: any RandomNumberGenerator & Sendable
    var generation: UInt64 = 0

    // Desired state: the latest update.
    var body: [UInt8]?
    var contentType: String?
    var requestedExpires: Int?
    var removing = false
    /// Raised by 423 Min-Expires; never lowered.
    var serverMinExpires = 0

    // What the server holds: the last body a 2xx applied.
    var publishedBody: [UInt8]?
    var publishedContentType: String?
    /// Another node changed the publication (cluster): the server holds a body this machine has not seen, so
    /// the next update is sent whatever it is (timers and replies still only refresh).
    var publishedBodyUnknown = false

    var inFlight: InFlight?
    var attempts = 0
    var retriedConditionalAsInitial = false
    /// A retry (backoff) timer is armed.
    var retryArmed = false
    /// A timer with the current generation is armed; firings are accepted only then.
    var timerArmed = false

    /// What a request does: the same four kinds the requests report.
    typealias Kind = PublishRequest.Kind

    struct InFlight: Sendable, Equatable {
        var kind: Kind
        var request: PublishRequest
    }

    /// `random` supplies jitter; inject a deterministic one in tests.
    public init(configuration: Configuration = Configuration(), random: any RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()) {
        self.configuration = configuration
        self.random = random
    }

    /// The `Expires` to ask for: requested (else default), never below `min_expires` or a server's Min-Expires.
    public var desiredExpires: Int {
        max(requestedExpires ?? configuration.defaultExpires, configuration.minExpires, serverMinExpires)
    }
}
