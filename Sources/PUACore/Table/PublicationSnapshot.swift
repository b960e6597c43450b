import SIPCore

/// A publication as callbacks, the store, the status board and the admin API see it: a plain value.
public struct PublicationSnapshot: Sendable, Equatable {
    /// Table key.
    public var key: PublicationKey
    /// Where the RFC 3903 machine stands.
    public var state: PublicationMachine.State
    /// Current `SIP-ETag`.
    public var etag: String?
    /// Lifetime the server granted, seconds.
    public var grantedExpires: Int?
    /// End of the granted lifetime, wall clock seconds since 1970.
    public var expiresAt: Double?
    /// Requested lifetime; nil means the default.
    public var desiredExpires: Int?
    /// The body as sent.
    public var body: [UInt8]?
    /// Its `Content-Type`.
    public var contentType: String
    /// The version the current body carries (dialog-info), nil before the first body.
    public var version: UInt64?
    /// Stable PIDF tuple id.
    public var tupleID: String
    /// Latest final reply.
    public var lastReply: PublicationReply?
    /// Latest failure, until a 2xx clears it.
    public var lastFailure: PublishFailure?
    /// An update waits for the reply of the PUBLISH in flight.
    public var hasPendingUpdate: Bool
    /// Who asked for it.
    public var source: PublicationSource
    /// Cluster sharing tag.
    public var sharingTag: String?
    /// Extra header fields.
    public var extraHeaders: [SIPHeaders.Field]
    /// Next hop override.
    public var outboundProxy: SIPURI?
    /// The digest of the body as its source gave it (before the event's processor), so a repeat is
    /// recognised, after a restart too.
    public var sourceDigest: BodyDigest?
    /// Call-ID of the publication's PUBLISH requests (kept across a restart); nil when unknown.
    public var callID: String?
    /// From tag of those requests.
    public var fromTag: String?
    /// CSeq of the latest PUBLISH; the next one continues above it.
    public var cseq: UInt32?

    public init(
        key: PublicationKey, state: PublicationMachine.State, etag: String?, grantedExpires: Int?, expiresAt: Double?,
        desiredExpires: Int?, body: [UInt8]?, contentType: String, version: UInt64?, tupleID: String,
        lastReply: PublicationReply?, lastFailure: PublishFailure?, hasPendingUpdate: Bool, source: PublicationSource,
        sharingTag: String?, extraHeaders: [SIPHeaders.Field], outboundProxy: SIPURI?, sourceDigest: BodyDigest?,
        callID: String? = nil, fromTag: String? = nil, cseq: UInt32? = nil
    ) {
        self.key = key
        self.state = state
        self.etag = etag
        self.grantedExpires = grantedExpires
        self.expiresAt = expiresAt
        self.desiredExpires = desiredExpires
        self.body = body
        self.contentType = contentType
        self.version = version
        self.tupleID = tupleID
        self.lastReply = lastReply
        self.lastFailure = lastFailure
        self.hasPendingUpdate = hasPendingUpdate
        self.source = source
        self.sharingTag = sharingTag
        self.extraHeaders = extraHeaders
        self.outboundProxy = outboundProxy
        self.sourceDigest = sourceDigest
        self.callID = callID
        self.fromTag = fromTag
        self.cseq = cseq
    }
}
