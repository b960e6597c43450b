/// What a node of a cluster tells the others when one of its PUBLISHes changed a publication at the presence
/// server, so any node can go on with the current ETag (no 412, no second publication) and the holder of the
/// record's sharing tag refreshes it.
public struct PublicationAnnouncement: Sendable, Equatable {
    /// What happened at the server.
    public enum Change: Sendable, Equatable {
        /// A 2xx: the new ETag and the lifetime it granted, ending at `expiresAt` (seconds since 1970).
        case published(etag: String, grantedExpires: Int, expiresAt: Double)
        /// Removed (Expires 0).
        case removed
    }

    public var key: PublicationKey
    public var change: Change
    /// The version of the body the server holds (dialog-info `version`).
    public var version: UInt64?
    /// The record's sharing tag: its holder refreshes it.
    public var sharingTag: String?
    /// The node that sent the PUBLISH.
    public var node: String
    /// The body the server holds and its type (published only), so the holder of the tag can take the
    /// publication over even before the announcing node wrote it to the store (written behind).
    public var body: [UInt8]?
    public var contentType: String?
    /// Who asked for the publication.
    public var source: PublicationSource?

    public init(
        key: PublicationKey, change: Change, version: UInt64?, sharingTag: String?, node: String, body: [UInt8]? = nil,
        contentType: String? = nil, source: PublicationSource? = nil
    ) {
        self.key = key
        self.change = change
        self.version = version
        self.sharingTag = sharingTag
        self.node = node
        self.body = body
        self.contentType = contentType
        self.source = source
    }

    /// The publication as a stored row would give it (for adoption); nil for a removal or without a body.
    var snapshot: PublicationSnapshot? {
        guard case .published(let etag, let granted, let expiresAt) = change, let body, let contentType else { return nil }
        return PublicationSnapshot(
            key: key, state: .published, etag: etag, grantedExpires: granted, expiresAt: expiresAt, desiredExpires: nil, body: body,
            contentType: contentType, version: version, tupleID: PublicationEngine.tupleID(of: key), lastReply: nil, lastFailure: nil,
            hasPendingUpdate: false, source: source ?? .admin, sharingTag: sharingTag, extraHeaders: [], outboundProxy: nil,
            sourceDigest: nil)
    }
}
