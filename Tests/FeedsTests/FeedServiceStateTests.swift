import Foundation
import LamplighterTestSupport
import Logging
import PUACore
import Synchronization
import Testing
@testable import Feeds

/// The feed service's state across restarts, with a real engine publishing to the test Kamailio and the
/// in-memory state store (the PostgreSQL one is tested in PUAStoreTests and end to end in lamplighterTests).
@Suite struct FeedServiceStateTests {
    static let logger = Logger(label: "test.feed-state")

    func message(_ aor: String, _ kind: String, contact: String, seq: Int) -> FeedMessage {
        let expires = kind == "contact-insert" ? #","expires":600"# : ""
        return FeedMessage(
            source: FeedService.defaultChannels[.registrations]!,
            payload: Array(#"{"event":"\#(kind)","aor":"\#(aor)","contact":"\#(contact)"\#(expires),"seq":\#(seq)}"#.utf8))
    }

    @Test func acknowledgementsWaitUntilTheStateIsStored() async throws {
        let pipeline = try await FeedPipeline()
        let store = InMemoryFeedStateStore()
        let service = FeedService(agent: pipeline.engine, stateStore: store, logger: Self.logger)
        let aor = "sip:\(UniqueNames.make("ack"))@127.0.0.1"
        let acknowledged = Mutex(0)
        await service.messageReceived(message(aor, "contact-insert", contact: "sip:a@192.0.2.1", seq: 1))
        await service.acknowledgeWhenStored { acknowledged.withLock { $0 += 1 } }
        #expect(acknowledged.withLock { $0 } == 0, "not before the state is stored")
        #expect(await service.unwrittenStateCount == 1)

        // The store is down: the entry and the acknowledgement wait.
        await store.setFailure(PresentityStoreError(code: .unavailable, context: "down"))
        #expect(await service.flushState() == false)
        #expect(acknowledged.withLock { $0 } == 0)
        #expect(await service.unwrittenStateCount == 1)

        // Back: written, then acknowledged.
        await store.setFailure(nil)
        #expect(await service.flushState())
        #expect(acknowledged.withLock { $0 } == 1)
        #expect(await store.record("registrations", aor) != nil)
        #expect(await service.unwrittenStateCount == 0)
        await pipeline.close()
    }

    @Test func aRestoredServiceKeepsTheOtherPhoneAndSkipsABrokenEntry() async throws {
        let pipeline = try await FeedPipeline()
        let store = InMemoryFeedStateStore()
        let aor = "sip:\(UniqueNames.make("restore"))@127.0.0.1"
        let first = FeedService(agent: pipeline.engine, stateStore: store, logger: Self.logger)
        await first.messageReceived(message(aor, "contact-insert", contact: "sip:a@192.0.2.1", seq: 1))
        await first.messageReceived(message(aor, "contact-insert", contact: "sip:b@192.0.2.2", seq: 2))
        #expect(await first.flushState())
        try await store.writeFeedState([FeedStateRecord(feed: "registrations", key: "sip:broken@127.0.0.1", state: Array("{".utf8))], deleting: [])

        let second = FeedService(agent: pipeline.engine, stateStore: store, logger: Self.logger)
        let restored = await second.restoreState()
        #expect(restored.restored >= 1 && restored.rejected == 1)
        await second.messageReceived(message(aor, "contact-delete", contact: "sip:a@192.0.2.1", seq: 3))
        let body = try #require(await pipeline.engine.publication(PublicationKey(presentity: aor, event: "presence"))?.body)
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.contains("<basic>open</basic>") && text.contains("sip:b@192.0.2.2") && !text.contains("192.0.2.1"))
        await pipeline.close()
    }
}
