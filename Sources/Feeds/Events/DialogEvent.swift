import PresenceDocuments
import SIPCore

/// A call-state change (the `dialogs` feed).
public struct DialogEvent: Sendable, Equatable, Codable {
    /// A shared line and the appearance the call uses on it.
    public struct Line: Sendable, Equatable, Codable {
        public var aor: SIPURI
        public var appearance: Int

        public init(aor: SIPURI, appearance: Int) {
            self.aor = aor
            self.appearance = appearance
        }
    }

    public var state: DialogInfoDocument.State
    public var callID: String
    /// The caller's AOR.
    public var from: SIPURI
    /// The callee's AOR.
    public var to: SIPURI
    public var fromTag: String
    public var toTag: String?
    public var fromDisplay: String?
    public var toDisplay: String?
    /// The caller's device (contact URI).
    public var callerTarget: String?
    /// The callee's device.
    public var calleeTarget: String?
    public var line: Line?
    public var order: EventOrder

    public init(
        state: DialogInfoDocument.State, callID: String, from: SIPURI, to: SIPURI, fromTag: String, toTag: String? = nil,
        fromDisplay: String? = nil, toDisplay: String? = nil, callerTarget: String? = nil, calleeTarget: String? = nil,
        line: Line? = nil, order: EventOrder = EventOrder()
    ) {
        self.state = state
        self.callID = callID
        self.from = from
        self.to = to
        self.fromTag = fromTag
        self.toTag = toTag
        self.fromDisplay = fromDisplay
        self.toDisplay = toDisplay
        self.callerTarget = callerTarget
        self.calleeTarget = calleeTarget
        self.line = line
        self.order = order
    }

    init(_ fields: JSONFields) throws(FeedEventError) {
        let name = try fields.string("state", required: true)!
        guard let state = DialogInfoDocument.State(rawValue: name) else {
            throw FeedEventError(
                feed: .dialogs, reason: .unknownEvent, field: "state",
                context: "state \"\(name)\" is not one of \(DialogInfoDocument.State.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.state = state
        callID = try fields.string("callid", required: true)!
        from = try fields.sipURI("from", required: true)!
        to = try fields.sipURI("to", required: true)!
        fromTag = try fields.string("from_tag", required: true)!
        toTag = try fields.string("to_tag")
        fromDisplay = try fields.string("from_display")
        toDisplay = try fields.string("to_display")
        callerTarget = try fields.sipURI("caller_target")?.description
        calleeTarget = try fields.sipURI("callee_target")?.description
        if let line = try fields.object("line") {
            self.line = Line(aor: try line.sipURI("aor", required: true)!, appearance: try line.integer("appearance", in: 1...999, required: true)!)
        }
        order = try fields.order()
    }

    /// Identifies the dialog across its events.
    public var key: String { callID + ";" + fromTag }
}
