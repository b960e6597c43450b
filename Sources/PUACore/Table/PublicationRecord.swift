import SIPCore

/// One row of the presentity table: everything the engine knows about a publication.
///
/// The protocol state (ETag, granted expiry, what is in flight, the coalesced update) lives in `machine`;
/// the record adds what the seed's `ua_pres_t` keeps around it. Only ``PublicationEngine`` mutates records,
/// inside its actor (hence `@unchecked Sendable`); others see ``snapshot`` copies.
///
/// A class, not a struct: the table's hash buckets then hold a pointer per entry instead of the whole record
/// (about 900 bytes) with the buckets' spare capacity; measured 4,104 → see README's store figures.
public final class PublicationRecord: @unchecked Sendable {
    /// Table key.
    public let key: PublicationKey
    /// The presentity URI.
    public let presentity: SIPURI
    /// The RFC 3903 machine.
    public internal(set) var machine: PublicationMachine
    /// The body as the source gave it, before the event's processor ran; a repeat is not sent again.
    public internal(set) var sourceDigest: BodyDigest?
    /// The body as sent (after processing).
    public internal(set) var body: [UInt8]?
    /// `Content-Type` of `body`.
    public internal(set) var contentType: String
    /// The version the next changed body gets (dialog-info `version`): monotonic, never reused.
    public internal(set) var nextVersion: UInt64
    /// Stable PIDF tuple id of this publication.
    public let tupleID: String
    /// Requested lifetime (nil: the default).
    public internal(set) var desiredExpires: Int?
    /// When the server-granted lifetime ends, wall clock seconds since 1970; nil when nothing is published.
    public internal(set) var expiresAt: Double?
    /// The latest final reply.
    public internal(set) var lastReply: PublicationReply?
    /// An update arrived while a PUBLISH was in flight and waits for its reply.
    public internal(set) var hasPendingUpdate: Bool
    /// Who asked for it.
    public internal(set) var source: PublicationSource
    /// Cluster sharing tag.
    public internal(set) var sharingTag: String?
    /// Extra header fields of every PUBLISH.
    public internal(set) var extraHeaders: [SIPHeaders.Field]
    /// Next hop instead of the engine's default.
    public internal(set) var outboundProxy: SIPURI?

    /// Call-ID of this publication's PUBLISH requests (one per publication, as the seed does).
    let callID: String
    /// From tag, constant for the publication.
    let fromTag: String
    /// The presence server's To tag from the latest reply (with `callID` and `fromTag`: the dialog-like triple
    /// `isDialog` matches).
    var remoteTag: String?
    /// CSeq of the latest PUBLISH.
    var cseq: UInt32 = 0
    /// When the oldest update not yet confirmed by a 2xx arrived (for the update-to-2xx latency histogram).
    var updatePendingSince: ContinuousClock.Instant?
    /// Identifies the request in flight, so a late outcome of an older request is ignored.
    var sendSerial: UInt64 = 0
    /// The armed refresh or retry timer: when, its generation, and whether the spreader placed it (a refresh).
    var timer: (at: ContinuousClock.Instant, generation: UInt64, isRefresh: Bool)?

    init(
        key: PublicationKey, presentity: SIPURI, machine: PublicationMachine, contentType: String, tupleID: String,
        callID: String, fromTag: String, source: PublicationSource
    ) {
        self.key = key
        self.presentity = presentity
        self.machine = machine
        self.contentType = contentType
        self.tupleID = tupleID
        self.callID = callID
        self.fromTag = fromTag
        self.source = source
        self.nextVersion = 0
        self.hasPendingUpdate = false
        self.extraHeaders = []
    }

    /// A copy of the operator-visible fields.
    public var snapshot: PublicationSnapshot {
        PublicationSnapshot(
            key: key, state: machine.state, etag: machine.etag, grantedExpires: machine.grantedExpires,
            expiresAt: expiresAt, desiredExpires: desiredExpires, body: body, contentType: contentType,
            version: nextVersion == 0 ? nil : nextVersion - 1, tupleID: tupleID, lastReply: lastReply,
            lastFailure: machine.lastFailure, hasPendingUpdate: hasPendingUpdate, source: source,
            sharingTag: sharingTag, extraHeaders: extraHeaders, outboundProxy: outboundProxy, sourceDigest: sourceDigest,
            callID: callID, fromTag: fromTag, cseq: cseq)
    }
}
