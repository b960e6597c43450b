// Redis feed events to PUBLISH on the wire: a redis-server of the bench's own, the real subscriber, feed
// service, engine and SIP endpoint, and the bare PUBLISH responder process.
import Feeds
import Logging
import NIOCore
import NIOPosix
import PUACore
import SIPCore
import SIPStack
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

struct FeedThroughputFigure {
    var events: Int
    var published: Int
    var wall: Duration
    /// CPU of the bench process (subscriber, feed service, engine, SIP endpoint; the producer's few script calls).
    var cpu: Duration
    var perSecond: Double { Double(published) / max(wall.seconds, 1e-9) }
    var perCPUSecond: Double { Double(published) / max(cpu.seconds, 1e-9) }
}

struct FeedLatencyFigure {
    var rate: Int
    var events: Int
    var published: Int
    var p50: Duration
    var p99: Duration
    var max: Duration
}

/// Records when the engine hands each presentity's PUBLISH to the SIP stack (then serialized and written).
final class TimingTransport: PublishTransport {
    let inner: any PublishTransport
    let sent = Mutex<[String: ContinuousClock.Instant]>(Dictionary(minimumCapacity: 200_000))

    init(_ inner: any PublishTransport) {
        self.inner = inner
    }

    func send(_ request: SIPRequest, nextHop: SIPURI?) async throws(SIPTransactionError) -> SIPResponse {
        let now = ContinuousClock.now
        if let user = request.uri.user { sent.withLock { if $0[user] == nil { $0[user] = now } } }
        return try await inner.send(request, nextHop: nextHop)
    }
}

enum FeedBenchmarks {
    /// Decoding and adapting one registration event, on one thread: events per CPU-second.
    static func decodeRate(runs: Int, duration: Duration) -> (decode: Double, adapt: Double) {
        let json = Array(#"{"event":"contact-insert","aor":"sip:201@127.0.0.1","contact":"sip:201@192.0.2.10:5060","expires":3600,"user_agent":"Yealink SIP-T46S","seq":1}"#.utf8)
        let decode = measureRate(runs: runs, duration: duration) {
            blackHole(try? FeedEvent.decode(json, feed: .registrations))
        }
        var adapter = RegistrationAdapter()
        var n = 0
        guard case .registration(let event)? = try? FeedEvent.decode(json, feed: .registrations) else { return (0, 0) }
        let adapt = measureRate(runs: runs, duration: duration) {
            var copy = event
            n += 1
            copy.aor = SIPURI(user: "u\(n % 50_000)", host: "127.0.0.1")
            blackHole(adapter.eventReceived(copy, now: 1_790_000_000 + Double(n) / 1000))
        }
        return (median(decode.map(\.perCPUSecond)), median(adapt.map(\.perCPUSecond)))
    }

    /// Starts redis-server on a free port; returns it and the port.
    static func startRedis() async throws -> (ChildProcess, Int) {
        for attempt in 0..<5 {
            let port = 30_000 + Int(getpid() % 10_000) + attempt * 7
            let server = try ChildProcess(
                executable: "/usr/bin/redis-server",
                arguments: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning"])
            let deadline = ContinuousClock.now + .seconds(5)
            while ContinuousClock.now < deadline {
                if let connection = try? await RedisConnection.connect(to: RedisEndpoint(host: "127.0.0.1", port: port, timeout: 1)) {
                    await connection.close()
                    return (server, port)
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            server.finish()
        }
        throw BenchError("redis-server did not start")
    }

    /// A Lua script publishing registration events for users `prefix<first>…prefix<first+count-1>`.
    static let publishScript = """
        for i = tonumber(ARGV[2]), tonumber(ARGV[2]) + tonumber(ARGV[3]) - 1 do
          redis.call('PUBLISH', KEYS[1], '{"event":"contact-insert","aor":"sip:' .. ARGV[1] .. i .. '@127.0.0.1","contact":"sip:' .. ARGV[1] .. i .. '@192.0.2.10:5060","expires":3600}')
        end
        return 0
        """

    /// - Parameter server: where the PUBLISHes go; nil: the bare responder process (started here). Presentity
    ///   names carry the process id there, so runs against a real server never meet earlier ones.
    static func run(
        throughputEvents: Int, latencyRate: Int, latencySeconds: Int, server: SIPURI? = nil
    ) async throws -> (FeedThroughputFigure, FeedLatencyFigure) {
        let (redisServer, redisPort) = try await startRedis()
        defer { redisServer.terminate() }
        var responder: ChildProcess?
        defer { responder?.finish() }
        let nextHop: SIPURI
        if let server {
            nextHop = server
        } else {
            let child = try ChildProcess(arguments: [EngineBenchmarks.responderFlag])
            responder = child
            guard let portLine = child.readLine(), portLine.hasPrefix("port "), let sipPort = Int(portLine.dropFirst(5)) else {
                throw BenchError("publish responder did not report its port")
            }
            nextHop = SIPURI(host: "127.0.0.1", port: sipPort)
        }
        let prefix = server == nil ? "" : "b\(getpid())"
        var logger = Logger(label: "lamplighter-bench.feeds")
        logger.logLevel = .error
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let endpoint = try await SIPEndpoint.bind(host: "127.0.0.1", port: 0, group: group, logger: logger)
        let resolver = SIPResolver(dns: DNSClient(nameserver: try SocketAddress(ipAddress: "127.0.0.1", port: 1)))
        let timing = TimingTransport(SIPPublishTransport(endpoint: endpoint, resolver: resolver, defaultNextHop: nextHop))
        let engine = PublicationEngine(configuration: .init(hashSize: 14), transport: timing, logger: logger)
        let published = Atomic<Int>(0)
        _ = await engine.registerCallback(for: nil) { _, outcome in
            if case .published = outcome { published.add(1, ordering: .relaxed) }
        }
        // As in the daemon: the engine's loop fires timers and writes changed records to its store each second.
        let engineLoop = Task { try await engine.run() }
        defer { engineLoop.cancel() }
        let redisEndpoint = RedisEndpoint(host: "127.0.0.1", port: redisPort)
        let channel = "bench:registrations"
        let service = FeedService(configuration: .init(channels: [.registrations: channel]), agent: engine, logger: logger)
        let subscriber = RedisSubscriber(endpoint: redisEndpoint, channels: [channel], logger: logger)
        let consumer = Task { await service.consume(subscriber) }
        defer {
            subscriber.stop()
            consumer.cancel()
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while subscriber.state != .ready, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        guard subscriber.state == .ready else { throw BenchError("subscriber did not subscribe: \(subscriber.state)") }
        let producer = try await RedisConnection.connect(to: redisEndpoint)
        guard case .string(let sha) = try await producer.command(["SCRIPT", "LOAD", publishScript]) else { throw BenchError("SCRIPT LOAD") }
        let script = String(decoding: sha, as: UTF8.self)

        func waitPublished(_ target: Int, limit: Duration) async throws {
            let end = ContinuousClock.now + limit
            while published.load(ordering: .relaxed) < target, ContinuousClock.now < end { try await Task.sleep(for: .milliseconds(1)) }
        }

        // Warm-up: 2,000 events (first use of the table, the endpoint, the connections).
        _ = try await producer.command(["EVALSHA", script, "1", channel, prefix + "w", "0", "2000"])
        try await waitPublished(2000, limit: .seconds(30))
        published.store(0, ordering: .relaxed)

        // Latency first, at a steady rate (the steady state, not the wake of a burst): a few events every
        // millisecond, each event's publish time recorded.
        let perChunk = max(1, latencyRate / 1000)
        let chunks = latencySeconds * 1000
        var publishedAt: [ContinuousClock.Instant] = []
        publishedAt.reserveCapacity(perChunk * chunks)
        let begin = ContinuousClock.now
        for chunk in 0..<chunks {
            let due = begin + .milliseconds(chunk)
            if due > .now { try await Task.sleep(until: due) }
            let sentAt = ContinuousClock.now
            _ = try await producer.command(["EVALSHA", script, "1", channel, prefix + "l", String(chunk * perChunk), String(perChunk)])
            publishedAt += Array(repeating: sentAt, count: perChunk)
        }
        try await waitPublished(perChunk * chunks, limit: .seconds(60))
        let onWire = timing.sent.withLock { $0 }
        var latencies: [Duration] = []
        for (index, at) in publishedAt.enumerated() {
            if let wire = onWire["\(prefix)l\(index)"] { latencies.append(wire - at) }
        }
        latencies.sort()
        func percentile(_ p: Double) -> Duration {
            latencies.isEmpty ? .zero : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
        }
        let latency = FeedLatencyFigure(
            rate: perChunk * 1000, events: perChunk * chunks, published: published.load(ordering: .relaxed),
            p50: percentile(0.5), p99: percentile(0.99), max: latencies.last ?? .zero)

        // Then throughput: as fast as Redis takes them, 1000 per script call.
        published.store(0, ordering: .relaxed)
        let start = ContinuousClock.now
        let cpuBefore = ProcessCPU.now()
        var first = 0
        while first < throughputEvents {
            let count = min(1000, throughputEvents - first)
            _ = try await producer.command(["EVALSHA", script, "1", channel, prefix + "t", String(first), String(count)])
            first += count
        }
        try await waitPublished(throughputEvents, limit: .seconds(120))
        let throughput = FeedThroughputFigure(
            events: throughputEvents, published: published.load(ordering: .relaxed), wall: ContinuousClock.now - start,
            cpu: (ProcessCPU.now() - cpuBefore).total)

        await producer.close()
        subscriber.stop()
        await consumer.value
        await endpoint.close()
        try await group.shutdownGracefully()
        return (throughput, latency)
    }
}
