/// Which publications an operator asks for (`GET /publications?aor=…&event=…&state=…`).
public struct PublicationFilter: Sendable, Equatable {
    /// Exactly this presentity URI; nil: any.
    public var presentity: String?
    /// Exactly this event package; nil: any.
    public var event: String?
    /// In this state; nil: any.
    public var state: PublicationMachine.State?

    public init(presentity: String? = nil, event: String? = nil, state: PublicationMachine.State? = nil) {
        self.presentity = presentity
        self.event = event
        self.state = state
    }

    /// Whether a publication of `key` in `state` passes.
    public func matches(key: PublicationKey, state: PublicationMachine.State) -> Bool {
        (presentity == nil || key.presentity == presentity) && (event == nil || key.event == event)
            && (self.state == nil || state == self.state)
    }
}
