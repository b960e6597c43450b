import SIPCore

/// A contact change from the registrar (the `registrations` feed).
public struct RegistrationEvent: Sendable, Equatable {
    /// `event`.
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        case insert = "contact-insert"
        case update = "contact-update"
        case delete = "contact-delete"
        case expire = "contact-expire"
    }

    public var kind: Kind
    /// The address of record: the presentity.
    public var aor: SIPURI
    /// The registered contact URI.
    public var contact: String
    /// Seconds the contact stays registered (insert and update).
    public var expires: Int?
    public var callID: String?
    public var userAgent: String?
    public var received: String?
    /// The contact's q-value (0…1).
    public var q: Double?
    /// `+sip.instance`.
    public var instance: String?
    public var order: EventOrder

    public init(
        kind: Kind, aor: SIPURI, contact: String, expires: Int? = nil, callID: String? = nil, userAgent: String? = nil,
        received: String? = nil, q: Double? = nil, instance: String? = nil, order: EventOrder = EventOrder()
    ) {
        self.kind = kind
        self.aor = aor
        self.contact = contact
        self.expires = expires
        self.callID = callID
        self.userAgent = userAgent
        self.received = received
        self.q = q
        self.instance = instance
        self.order = order
    }

    init(_ fields: JSONFields) throws(FeedEventError) {
        let name = try fields.string("event", required: true)!
        guard let kind = Kind(rawValue: name) else {
            throw FeedEventError(
                feed: .registrations, reason: .unknownEvent, field: "event",
                context: "event \"\(name)\" is not one of \(Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.kind = kind
        aor = try fields.sipURI("aor", required: true)!
        contact = try fields.sipURI("contact", required: true)!.description
        expires = try fields.integer("expires", in: 0...31_536_000, required: kind == .insert || kind == .update)
        callID = try fields.string("callid")
        userAgent = try fields.string("user_agent")
        received = try fields.string("received")
        q = try fields.number("q", in: 0...1)
        instance = try fields.string("instance")
        order = try fields.order()
    }
}
