import SIPCore

/// Voicemail counts for a mailbox (the `mwi` feed).
public struct MessageSummaryEvent: Sendable, Equatable {
    public var aor: SIPURI
    public var newMessages: Int
    public var oldMessages: Int
    public var urgentNew: Int
    public var urgentOld: Int
    public var order: EventOrder

    public init(aor: SIPURI, newMessages: Int, oldMessages: Int, urgentNew: Int = 0, urgentOld: Int = 0, order: EventOrder = EventOrder()) {
        self.aor = aor
        self.newMessages = newMessages
        self.oldMessages = oldMessages
        self.urgentNew = urgentNew
        self.urgentOld = urgentOld
        self.order = order
    }

    init(_ fields: JSONFields) throws(FeedEventError) {
        aor = try fields.sipURI("aor", required: true)!
        newMessages = try fields.integer("new", in: 0...1_000_000, required: true)!
        oldMessages = try fields.integer("old", in: 0...1_000_000, required: true)!
        urgentNew = try fields.integer("urgent_new", in: 0...1_000_000) ?? 0
        urgentOld = try fields.integer("urgent_old", in: 0...1_000_000) ?? 0
        order = try fields.order()
    }
}
