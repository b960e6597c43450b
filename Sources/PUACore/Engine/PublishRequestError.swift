/// A ``PresenceUserAgent/sendPublish(_:)`` call the engine refuses; nothing is changed.
public struct PublishRequestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The fault's category.
    public enum Code: Sendable, Equatable {
        /// The event is not registered.
        case unknownEvent
        /// The event is registered for SUBSCRIBE only.
        case eventNotPublishable
        /// A new publication needs a body.
        case missingBody
        /// The body is too large or the event's processor rejected it.
        case invalidBody
        /// An extra header field has an unusable name or a value with CR, LF or NUL, or is one the engine owns.
        case invalidHeader
        /// The table already holds `maxPublications` records.
        case tableFull
    }

    /// Category.
    public var code: Code
    /// The publication and what was wrong.
    public var context: String

    public init(code: Code, context: String) {
        self.code = code
        self.context = context
    }

    public var description: String { "\(code): \(context)" }
}
