/// One decoded event of any feed.
public enum FeedEvent: Sendable, Equatable {
    case registration(RegistrationEvent)
    case dialog(DialogEvent)
    case messageSummary(MessageSummaryEvent)

    /// Messages larger than this are refused unread (16 KiB).
    public static let maximumSize = 16 * 1024

    /// Decodes one JSON message of `feed`; every failure names the feed, the field and the reason.
    public static func decode(_ bytes: some Collection<UInt8>, feed: FeedKind) throws(FeedEventError) -> FeedEvent {
        guard bytes.count <= maximumSize else {
            throw FeedEventError(feed: feed, reason: .oversized, context: "message of \(bytes.count) bytes (limit \(maximumSize))")
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            throw FeedEventError(feed: feed, reason: .invalidJSON, context: "not JSON: \(error)")
        }
        guard case .object(let object) = value else {
            throw FeedEventError(feed: feed, reason: .notAnObject, context: "a \(value.typeName), not an object")
        }
        let fields = JSONFields(feed: feed, fields: object)
        switch feed {
        case .registrations: return .registration(try RegistrationEvent(fields))
        case .dialogs: return .dialog(try DialogEvent(fields))
        case .mwi: return .messageSummary(try MessageSummaryEvent(fields))
        }
    }
}
