import Foundation
import LamplighterTestSupport
import Logging
import NIOCore
import PUAStore
import SIPCore
import SIPStack
@testable import PUACore

/// A publication engine on a real UDP endpoint, pointed at a real peer (Kamailio, or sipp), with its callbacks
/// turned into a stream of outcomes the test awaits.
final class EngineHarness: Sendable {
    let engine: PublicationEngine
    let endpoint: SIPEndpoint
    /// The store, when the harness made it.
    let store: InMemoryPresentityStore
    let outcomes: AsyncStream<(PublicationSnapshot, PublicationOutcome)>
    private let iterator: OutcomeIterator

    static let logger = Logger(label: "test.pua")

    init(nextHop: SIPURI, configuration: PublicationEngine.Configuration = .init(), endpointOptions: SIPEndpoint.Options = .init(),
         store: (any PresentityStore)? = nil, clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) async throws {
        self.store = InMemoryPresentityStore()
        endpoint = try await SIPEndpoint.bind(host: "127.0.0.1", port: 0, options: endpointOptions, logger: Self.logger)
        // IP literals only: the resolver never asks its (unreachable) name server.
        let resolver = SIPResolver(dns: DNSClient(nameserver: try SocketAddress(ipAddress: "127.0.0.1", port: 1)))
        let transport = SIPPublishTransport(endpoint: endpoint, resolver: resolver, defaultNextHop: nextHop)
        engine = PublicationEngine(configuration: configuration, transport: transport, store: store ?? self.store, logger: Self.logger, clock: clock)
        let (stream, continuation) = AsyncStream.makeStream(of: (PublicationSnapshot, PublicationOutcome).self)
        outcomes = stream
        iterator = OutcomeIterator(stream)
        _ = await engine.registerCallback(for: nil) { snapshot, outcome in continuation.yield((snapshot, outcome)) }
    }

    static func kamailio(configuration: PublicationEngine.Configuration = .init()) async throws -> EngineHarness {
        try await EngineHarness(nextHop: try SIPURI(parsing: TestServices.kamailioURI), configuration: configuration)
    }

    /// The next outcome, or a failure after `timeout`.
    func next(timeout: Duration = .seconds(10)) async throws -> (PublicationSnapshot, PublicationOutcome) {
        try await iterator.next(timeout: timeout)
    }

    func close() async {
        await endpoint.close()
    }

    /// A presentity no other test uses, in Kamailio's domain, and its user part.
    static func presentity() throws -> (uri: SIPURI, user: String) {
        let user = UniqueNames.make("pub")
        return (try SIPURI(parsing: "sip:\(user)@127.0.0.1"), user)
    }

    static func pidf(_ uri: SIPURI, _ basic: String) -> [UInt8] {
        Array(("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"\(uri)\">"
            + "<tuple><status><basic>\(basic)</basic></status></tuple></presence>\n").utf8)
    }
}

/// Serialises reads of the outcome stream and bounds each wait.
final class OutcomeIterator: @unchecked Sendable {
    private let lock = NSLock()
    private var iterator: AsyncStream<(PublicationSnapshot, PublicationOutcome)>.Iterator

    init(_ stream: AsyncStream<(PublicationSnapshot, PublicationOutcome)>) {
        iterator = stream.makeAsyncIterator()
    }

    struct Timeout: Error, CustomStringConvertible {
        var description: String
    }

    func next(timeout: Duration) async throws -> (PublicationSnapshot, PublicationOutcome) {
        try await withThrowingTaskGroup(of: (PublicationSnapshot, PublicationOutcome)?.self) { group in
            group.addTask { await self.take() }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw Timeout(description: "no publication outcome within \(timeout)")
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw Timeout(description: "the outcome stream ended")
            }
            return value
        }
    }

    private func take() async -> (PublicationSnapshot, PublicationOutcome)? {
        var copy = lock.withLock { iterator }
        let value = await copy.next()
        lock.withLock { iterator = copy }
        return value
    }
}

/// Kamailio's own presentity table, read over libpq.
enum KamailioPresentities {
    struct Row: Equatable {
        var etag: String
        var body: String
        var expires: Int
    }

    static func rows(user: String, event: String = "presence") async throws -> [Row] {
        let connection = try await TestServices.postgres(url: TestServices.kamailioDatabaseURL)
        defer { Task { await connection.close() } }
        let result = try await connection.query(
            "SELECT etag, convert_from(body::bytea, 'UTF8') AS body, expires FROM presentity WHERE username = $1 AND event = $2",
            [user, event])
        return (0..<result.rows.count).map {
            Row(etag: result.value($0, "etag") ?? "", body: result.value($0, "body") ?? "", expires: Int(result.value($0, "expires") ?? "") ?? 0)
        }
    }

    static func forget(user: String) async throws {
        let connection = try await TestServices.postgres(url: TestServices.kamailioDatabaseURL)
        defer { Task { await connection.close() } }
        _ = try await connection.query("DELETE FROM presentity WHERE username = $1", [user])
    }
}
