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

    public init(key: PublicationKey, change: Change, version: UInt64?, sharingTag: String?, node: String) {
        self.key = key
        self.change = change
        self.version = version
        self.sharingTag = sharingTag
        self.node = node
    }
}
