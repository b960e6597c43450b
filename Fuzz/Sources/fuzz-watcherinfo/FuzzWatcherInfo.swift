// libFuzzer target: the watcherinfo (RFC 3858) NOTIFY body parser, libxml2 underneath, and the state it feeds.
//
// The input is one body; `WatcherInfoDocument(parsing:)` must throw `XMLParseError` for anything it does not
// accept. A document that parses is applied to a fresh `WatcherInfoState` and the state read back, as
// SubscriptionEngine.watcherInfoReceived does with every watcherinfo NOTIFY.
import PresenceDocuments

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let document = try? WatcherInfoDocument(parsing: Array(UnsafeBufferPointer(start: data, count: size))) else { return 0 }
    var state = WatcherInfoState()
    if state.apply(document) == .applied {
        for list in document.lists { _ = state.watchers(of: list.resource, package: list.package) }
    }
    return 0
}
