import Foundation
import LamplighterTestSupport
import Logging
import NIOCore
import PUACore
import SIPCore
import SIPStack
@testable import Feeds

/// The whole ingest path on real services: a Redis subscriber on channels of this test's own (or the ones given,
/// e.g. the registrar's fixed channel), a feed service, and a publication engine publishing to the real Kamailio.
final class FeedPipeline: Sendable {
    let engine: PublicationEngine
    let endpoint: SIPEndpoint
    let service: FeedService
    let subscriber: RedisSubscriber
    let channels: [FeedKind: String]
    let consumer: Task<Void, Never>
    let publisher: RedisConnection

    static let logger = Logger(label: "test.feeds")

    /// - Parameter channels: channels to read instead of this test's own unique ones, per feed (the others keep
    ///   their unique channel). A channel shared with other tests (the registrar publishes on fixed names) brings
    ///   their events too: assert only on this test's own AORs.
    init(
        dialogs: DialogAdapter.Options = .init(), channels explicit: [FeedKind: String]? = nil,
        clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) async throws {
        endpoint = try await SIPEndpoint.bind(host: "127.0.0.1", port: 0, logger: Self.logger)
        let resolver = SIPResolver(dns: DNSClient(nameserver: try SocketAddress(ipAddress: "127.0.0.1", port: 1)))
        engine = PublicationEngine(
            transport: SIPPublishTransport(endpoint: endpoint, resolver: resolver, defaultNextHop: try SIPURI(parsing: TestServices.kamailioURI)),
            logger: Self.logger)
        let prefix = UniqueNames.make("feeds")
        let unique: [FeedKind: String] = [.registrations: "\(prefix):registrations", .dialogs: "\(prefix):dialogs", .mwi: "\(prefix):mwi"]
        channels = unique.merging(explicit ?? [:]) { $1 }
        service = FeedService(configuration: .init(channels: channels, dialogs: dialogs), agent: engine, logger: Self.logger, clock: clock)
        subscriber = RedisSubscriber(endpoint: TestServices.redisEndpoint, channels: service.channels, logger: Self.logger)
        let service = self.service, subscriber = self.subscriber
        consumer = Task { await service.consume(subscriber) }
        publisher = try await TestServices.redis()
        let deadline = ContinuousClock.now + .seconds(10)
        while subscriber.state != .ready, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        guard subscriber.state == .ready else { throw TestServiceUnavailable(message: "subscriber not ready: \(subscriber.state)") }
    }

    /// PUBLISHes `json` on `feed`'s channel and waits until the service has taken it (applied or rejected).
    func send(_ feed: FeedKind, _ json: String) async throws {
        let before = await handled()
        let reply = try await publisher.command(["PUBLISH", channels[feed]!, json])
        guard reply == .integer(1) else { throw TestServiceUnavailable(message: "PUBLISH reached \(reply) subscribers") }
        let deadline = ContinuousClock.now + .seconds(10)
        while await handled() == before, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
    }

    func handled() async -> Int {
        await service.applied.values.reduce(0, +) + service.rejected.values.reduce(0, +)
    }

    /// Waits until no PUBLISH is in flight.
    func settle() async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while await engine.transactionsInFlight > 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
    }

    func close() async {
        subscriber.stop()
        await consumer.value
        await publisher.close()
        await endpoint.close()
    }
}
