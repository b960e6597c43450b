/// An event a feed could not use: which feed, which field, and why. Counted per reason.
public struct FeedEventError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The fault's category (the `reason` dimension of `lamplighter_feed_events_rejected_total`).
    public enum Reason: String, Sendable, Equatable, CaseIterable {
        /// Not JSON.
        case invalidJSON = "invalid_json"
        /// JSON, but not an object.
        case notAnObject = "not_an_object"
        /// A required field is absent.
        case missingField = "missing_field"
        /// A field has the wrong JSON type.
        case wrongType = "wrong_type"
        /// `event` or `state` has a value this feed does not know.
        case unknownEvent = "unknown_event"
        /// A field that must be a SIP URI is not one.
        case invalidURI = "invalid_uri"
        /// A field is out of its range or too long.
        case invalidValue = "invalid_value"
        /// The message is larger than the feed accepts.
        case oversized
    }

    public var feed: FeedKind
    public var reason: Reason
    /// The offending field, when one is to blame.
    public var field: String?
    /// What was wrong.
    public var context: String

    public init(feed: FeedKind, reason: Reason, field: String? = nil, context: String) {
        self.feed = feed
        self.reason = reason
        self.field = field
        self.context = context
    }

    public var description: String {
        "\(feed) feed: \(reason.rawValue)\(field.map { " (\($0))" } ?? ""): \(context)"
    }
}
