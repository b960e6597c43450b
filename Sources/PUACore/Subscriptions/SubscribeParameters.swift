import SIPCore

/// What `sendSubscribe` takes: the seed's `subs_info`.
public struct SubscribeParameters: Sendable, Equatable {
    /// Identifies the subscription within the agent (the seed's `id`).
    public var id: String
    /// The resource watched (`pres_uri`).
    public var resource: SIPURI
    /// The watcher (`watcher_uri`, From).
    public var watcher: SIPURI
    /// Event package, e.g. `presence`, `dialog`, `presence.winfo`, `message-summary`.
    public var event: String
    /// Accept header values; empty: the event's usual type.
    public var accept: [String]
    /// Requested lifetime; nil: the default.
    public var expires: Int?
    /// First hop of a new SUBSCRIBE instead of the presence server (`outbound_proxy`).
    public var outboundProxy: SIPURI?
    /// Who asked (for the callbacks).
    public var source: PublicationSource

    public init(
        id: String, resource: SIPURI, watcher: SIPURI, event: String, accept: [String] = [], expires: Int? = nil,
        outboundProxy: SIPURI? = nil, source: PublicationSource
    ) {
        self.id = id
        self.resource = resource
        self.watcher = watcher
        self.event = event
        self.accept = accept
        self.expires = expires
        self.outboundProxy = outboundProxy
        self.source = source
    }
}
