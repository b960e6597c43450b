/// What a body processor gets: the body about to be published and the record it belongs to.
public struct BodyContext: Sendable, Equatable {
    /// The body as handed in by the caller.
    public var body: [UInt8]
    /// The record's next body version (monotonic per record), e.g. for dialog-info's `version` attribute.
    public var version: UInt64
    /// The record's tuple id, stamped into PIDF `<tuple>` elements that have none.
    public var tupleID: String

    public init(body: [UInt8], version: UInt64, tupleID: String) {
        self.body = body
        self.version = version
        self.tupleID = tupleID
    }
}

/// Why a body processor refused a body. Processors never crash on malformed input; they throw this.
public struct BodyProcessingError: Error, Sendable, Equatable {
    /// The fault's category.
    public enum Code: Sendable, Equatable {
        /// The body exceeds `PresenceEvent.maximumBodySize`.
        case bodyTooLarge
        /// No start tag at all (empty body, text only, or only comments and declarations).
        case noRootElement
        /// The root element is not the one the event package needs (e.g. not `dialog-info`).
        case unexpectedRootElement
        /// A tag, comment, CDATA section or declaration runs to the end of the body.
        case unterminatedTag
        /// A tag that cannot be read: empty element name, attribute without `=` or without a quoted value.
        case malformedTag
    }

    /// Category.
    public var code: Code
    /// Names the fault for logs, e.g. `tag at byte 12 is not terminated`.
    public var context: String

    public init(code: Code, context: String) {
        self.code = code
        self.context = context
    }
}

/// Turns a caller's body into the body to publish (OpenSIPS pua's per-event body processing).
public typealias BodyProcessor = @Sendable (BodyContext) throws(BodyProcessingError) -> [UInt8]

/// One event package the agent can publish and/or subscribe to (an entry of OpenSIPS pua's `add_event`).
public struct PresenceEvent: Sendable {
    /// Bodies larger than this are refused by the built-in processors (64 KiB).
    public static let maximumBodySize = 64 * 1024

    /// The `Event` header value, e.g. `presence`, `dialog;sla`, `message-summary`.
    public var name: String
    /// `Content-Type` of bodies of this event, e.g. `application/pidf+xml`.
    public var contentType: String
    /// True when PUBLISH is allowed for this event.
    public var canPublish: Bool
    /// True when SUBSCRIBE is allowed for this event.
    public var canSubscribe: Bool
    /// Applied to every body before it is published.
    public var process: BodyProcessor

    public init(
        name: String, contentType: String, canPublish: Bool = true, canSubscribe: Bool = true,
        process: @escaping BodyProcessor = PresenceEvent.unchanged
    ) {
        self.name = name
        self.contentType = contentType
        self.canPublish = canPublish
        self.canSubscribe = canSubscribe
        self.process = process
    }

    /// The body as given, after the size check.
    public static let unchanged: BodyProcessor = { (context: BodyContext) throws(BodyProcessingError) -> [UInt8] in
        try checkSize(context.body)
        return context.body
    }

    /// Throws `bodyTooLarge` for bodies over `maximumBodySize`.
    static func checkSize(_ body: [UInt8]) throws(BodyProcessingError) {
        if body.count > maximumBodySize {
            throw BodyProcessingError(
                code: .bodyTooLarge, context: "body of \(body.count) bytes exceeds \(maximumBodySize)")
        }
    }
}
