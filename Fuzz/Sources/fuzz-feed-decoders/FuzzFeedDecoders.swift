// libFuzzer target: the feed event decoders, as FeedService.messageReceived applies them to one Redis message.
//
// The input is one message payload; it is decoded as each feed (registrations, dialogs, mwi) in turn through
// `FeedEvent.decode`, the public entry point (size check, JSONParser, then RegistrationEvent, DialogEvent or
// MessageSummaryEvent from the fields). Every failure must be a thrown `FeedEventError`.
import Feeds

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let payload = Array(UnsafeBufferPointer(start: data, count: size))
    for feed in FeedKind.allCases {
        guard let event = try? FeedEvent.decode(payload, feed: feed) else { continue }
        if case .dialog(let dialog) = event { _ = dialog.key }
    }
    return 0
}
