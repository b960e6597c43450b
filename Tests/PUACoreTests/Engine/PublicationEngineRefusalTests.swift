import SIPCore
import Testing
@testable import PUACore

/// Calls the engine refuses before anything is sent: each names what was wrong and changes nothing. The next
/// hop is a closed port, so a request that did go out would show as a transaction in flight.
@Suite struct PublicationEngineRefusalTests {
    func engine(maxPublications: Int = 10) async throws -> EngineHarness {
        try await EngineHarness(
            nextHop: try SIPURI(parsing: "sip:127.0.0.1:1"), configuration: .init(maxPublications: maxPublications))
    }

    func expectRefused(
        _ harness: EngineHarness, _ parameters: PublishParameters, _ code: PublishRequestError.Code, mentioning text: String
    ) async {
        await #expect {
            try await harness.engine.sendPublish(parameters)
        } throws: { error in
            guard let error = error as? PublishRequestError else { return false }
            return error.code == code && error.context.contains(text)
        }
        #expect(await harness.engine.transactionsInFlight == 0)
    }

    @Test func everyRefusalNamesTheFault() async throws {
        let harness = try await engine()
        defer { Task { await harness.close() } }
        let uri = SIPURI(user: "alice", host: "127.0.0.1")
        let body = EngineHarness.pidf(uri, "open")
        await expectRefused(harness, PublishParameters(presentity: uri, event: "no-such-event", body: body, source: .admin),
                            .unknownEvent, mentioning: "no-such-event")
        await expectRefused(harness, PublishParameters(presentity: uri, event: "presence.winfo", body: body, source: .admin),
                            .eventNotPublishable, mentioning: "subscribe-only")
        await expectRefused(harness, PublishParameters(presentity: uri, event: "presence", source: .admin),
                            .missingBody, mentioning: "needs a body")
        await expectRefused(harness, PublishParameters(presentity: uri, event: "presence", body: Array("<notpidf/>".utf8), source: .admin),
                            .invalidBody, mentioning: "presence")
        await expectRefused(harness, PublishParameters(
            presentity: uri, event: "presence", body: [UInt8](repeating: 0x20, count: 70_000), source: .admin),
                            .invalidBody, mentioning: "70000 bytes")
        await expectRefused(harness, PublishParameters(
            presentity: uri, event: "presence", body: body, source: .admin, extraHeaders: [SIPHeaders.Field(name: "X-A", value: "1\r\nVia: x")]),
                            .invalidHeader, mentioning: "CR, LF or NUL")
        #expect(await harness.engine.publicationCount == 0)
        // Removing what was never published is not an error: there is nothing to do.
        try await harness.engine.sendPublish(PublishParameters(presentity: uri, event: "presence", expires: 0, source: .admin))
        #expect(await harness.engine.publicationCount == 0)
    }

    @Test func aFullTableRefusesNewPublicationsButUpdatesExistingOnes() async throws {
        let harness = try await engine(maxPublications: 2)
        defer { Task { await harness.close() } }
        for n in 0..<2 {
            let uri = SIPURI(user: "u\(n)", host: "127.0.0.1")
            try await harness.engine.sendPublish(PublishParameters(presentity: uri, event: "presence", body: EngineHarness.pidf(uri, "open"), source: .admin))
        }
        let third = SIPURI(user: "u2", host: "127.0.0.1")
        await #expect(throws: PublishRequestError.self) {
            try await harness.engine.sendPublish(PublishParameters(presentity: third, event: "presence", body: EngineHarness.pidf(third, "open"), source: .admin))
        }
        let first = SIPURI(user: "u0", host: "127.0.0.1")
        try await harness.engine.sendPublish(PublishParameters(presentity: first, event: "presence", body: EngineHarness.pidf(first, "closed"), source: .admin))
        #expect(await harness.engine.publication(PublicationKey(presentity: first.description, event: "presence"))?.hasPendingUpdate == true)
        #expect(await harness.engine.publicationCount == 2)
    }

    @Test func dialogBodiesGetMonotonicVersionsAndRepeatsKeepTheirs() async throws {
        let harness = try await engine()
        defer { Task { await harness.close() } }
        let uri = SIPURI(user: "bob", host: "127.0.0.1")
        let key = PublicationKey(presentity: uri.description, event: "dialog")
        func dialog(_ state: String) -> [UInt8] {
            Array("<?xml version=\"1.0\"?><dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\" version=\"99\" state=\"full\" entity=\"\(uri)\"><dialog id=\"d\"><state>\(state)</state></dialog></dialog-info>".utf8)
        }
        var versions: [UInt64?] = []
        for state in ["trying", "trying", "confirmed", "terminated"] {
            try await harness.engine.sendPublish(PublishParameters(presentity: uri, event: "dialog", body: dialog(state), source: .dialogs))
            versions.append(await harness.engine.publication(key)?.version)
        }
        #expect(versions == [0, 0, 1, 2])
        let body = String(decoding: await harness.engine.publication(key)?.body ?? [], as: UTF8.self)
        #expect(body.contains("version=\"2\""))
    }
}
