import SIPCore

/// One update of a publication (the seed's `publ_info_t`): the desired state the engine makes the
/// presence server hold.
public struct PublishParameters: Sendable, Equatable {
    /// The presentity (To/From and Request-URI of the PUBLISH).
    public var presentity: SIPURI
    /// Event package, registered in the engine's ``PresenceEventRegistry``.
    public var event: String
    /// Distinguishes several publications of one presentity and event (the seed's `id`).
    public var id: String
    /// The document; nil keeps the current body (an expiry change or a plain refresh).
    public var body: [UInt8]?
    /// `Content-Type` of `body`; nil uses the event's default.
    public var contentType: String?
    /// Requested lifetime in seconds; nil uses `pua.default_expires`; 0 removes the publication.
    public var expires: Int?
    /// Who asks: callbacks of this source are told about replies.
    public var source: PublicationSource
    /// Cluster sharing tag owning this publication, if any.
    public var sharingTag: String?
    /// Further header fields sent with every PUBLISH of this publication (names and values as given).
    public var extraHeaders: [SIPHeaders.Field]
    /// Next hop for this publication instead of the engine's default.
    public var outboundProxy: SIPURI?

    public init(
        presentity: SIPURI, event: String, id: String = "", body: [UInt8]? = nil, contentType: String? = nil,
        expires: Int? = nil, source: PublicationSource, sharingTag: String? = nil, extraHeaders: [SIPHeaders.Field] = [],
        outboundProxy: SIPURI? = nil
    ) {
        self.presentity = presentity
        self.event = event
        self.id = id
        self.body = body
        self.contentType = contentType
        self.expires = expires
        self.source = source
        self.sharingTag = sharingTag
        self.extraHeaders = extraHeaders
        self.outboundProxy = outboundProxy
    }

    /// The table key.
    public var key: PublicationKey {
        PublicationKey(presentity: presentity.description, event: event, id: id)
    }
}
