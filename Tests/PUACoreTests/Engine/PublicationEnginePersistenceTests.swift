import Foundation
import NIOCore
import SIPCore
import SIPStack
import Testing
@testable import PUACore

/// Write-behind to the ``PresentityStore``: batches, deletions, failures kept for the next flush, and the final
/// flush when the run loop stops. The next hop is a closed port: records stay in flight, which is enough here.
@Suite struct PublicationEnginePersistenceTests {
    func publish(_ engine: PublicationEngine, _ n: Int) async throws -> PublicationKey {
        let uri = SIPURI(user: "p\(n)", host: "127.0.0.1")
        try await engine.sendPublish(PublishParameters(
            presentity: uri, event: "presence", body: EngineHarness.pidf(uri, "open"), source: .registrations, sharingTag: "a"))
        return PublicationKey(presentity: uri.description, event: "presence")
    }

    @Test func changedRecordsAreWrittenInBatches() async throws {
        let store = InMemoryPresentityStore()
        let harness = try await EngineHarness(
            nextHop: try SIPURI(parsing: "sip:127.0.0.1:1"), configuration: .init(flushBatchSize: 2), store: store)
        defer { Task { await harness.close() } }
        var keys: [PublicationKey] = []
        for n in 0..<5 { keys.append(try await publish(harness.engine, n)) }
        #expect(await harness.engine.unflushedCount == 5)
        await harness.engine.flush()
        #expect(await store.count == 5)
        #expect(await store.batches == 3)
        #expect(await harness.engine.unflushedCount == 0)
        let stored = try #require(await store.publication(keys[0]))
        #expect(stored.sharingTag == "a")
        #expect(stored.source == .registrations)
        #expect(stored.body == (await harness.engine.publication(keys[0]))?.body)

        await harness.engine.flush()
        #expect(await store.batches == 3, "nothing changed, nothing written")
    }

    @Test func aFailingStoreLosesNothingAndIsRetriedAtTheNextFlush() async throws {
        let store = FlakyStore()
        let harness = try await EngineHarness(nextHop: try SIPURI(parsing: "sip:127.0.0.1:1"), store: store)
        defer { Task { await harness.close() } }
        for n in 0..<3 { _ = try await publish(harness.engine, n) }
        await store.setAvailable(false)
        await harness.engine.flush()
        #expect(await harness.engine.unflushedCount == 3)
        #expect(await harness.engine.publicationCount == 3, "the table is untouched")
        await store.setAvailable(true)
        await harness.engine.flush()
        #expect(await harness.engine.unflushedCount == 0)
        #expect(await store.inner.count == 3)
    }

    @Test func theStoreObserverHearsOfAnOutageAndOfTheRecovery() async throws {
        let store = FlakyStore()
        let heard = HealthLog()
        let endpoint = try await SIPEndpoint.bind(host: "127.0.0.1", port: 0, logger: EngineHarness.logger)
        defer { Task { await endpoint.close() } }
        let resolver = SIPResolver(dns: DNSClient(nameserver: try SocketAddress(ipAddress: "127.0.0.1", port: 1)))
        let engine = PublicationEngine(
            transport: SIPPublishTransport(endpoint: endpoint, resolver: resolver, defaultNextHop: try SIPURI(parsing: "sip:127.0.0.1:1")),
            store: store, logger: EngineHarness.logger, storeObserver: { heard.append($0, $1) })
        _ = try await publish(engine, 0)
        await store.setAvailable(false)
        await engine.flush()
        await store.setAvailable(true)
        await engine.flush()
        let events = heard.values
        #expect(events.map(\.0) == [false, true])
        #expect(events.first?.1.contains("publishing from memory; 1 changes wait") == true, "\(events)")
    }

    @Test func stoppingTheRunLoopFlushesOnceMore() async throws {
        let store = InMemoryPresentityStore()
        let harness = try await EngineHarness(
            nextHop: try SIPURI(parsing: "sip:127.0.0.1:1"), configuration: .init(flushInterval: .seconds(3600)), store: store)
        defer { Task { await harness.close() } }
        let engine = harness.engine
        let running = Task { try await engine.run() }
        for n in 0..<4 { _ = try await publish(engine, n) }
        running.cancel()
        try await running.value
        #expect(await store.count == 4)
    }
}

final class HealthLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [(Bool, String)] = []
    func append(_ healthy: Bool, _ detail: String) { lock.withLock { stored.append((healthy, detail)) } }
    var values: [(Bool, String)] { lock.withLock { stored } }
}

/// A store that refuses while "unavailable" (a database that is down), else keeps data in memory.
actor FlakyStore: PresentityStore {
    let inner = InMemoryPresentityStore()
    private var available = true

    func setAvailable(_ value: Bool) { available = value }

    func loadAll() async throws(PresentityStoreError) -> [PublicationSnapshot] { try await inner.loadAll() }

    func upsert(_ publications: [PublicationSnapshot]) async throws(PresentityStoreError) {
        guard available else { throw PresentityStoreError(code: .unavailable, context: "connection refused") }
        try await inner.upsert(publications)
    }

    func delete(_ keys: [PublicationKey]) async throws(PresentityStoreError) {
        guard available else { throw PresentityStoreError(code: .unavailable, context: "connection refused") }
        try await inner.delete(keys)
    }
}
