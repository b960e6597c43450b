/// Identifies one publication: the seed's (pres_uri, event, id) triple.
public struct PublicationKey: Sendable, Hashable, CustomStringConvertible {
    /// The presentity URI, e.g. `sip:201@pbx.example.com`.
    public var presentity: String
    /// The event package, e.g. `presence`, `dialog`, `dialog;sla`, `message-summary`.
    public var event: String
    /// Distinguishes several publications of one presentity and event (the seed's `id`); empty by default.
    public var id: String

    public init(presentity: String, event: String, id: String = "") {
        self.presentity = presentity
        self.event = event
        self.id = id
    }

    public var description: String {
        id.isEmpty ? "\(presentity) [\(event)]" : "\(presentity) [\(event) #\(id)]"
    }
}
