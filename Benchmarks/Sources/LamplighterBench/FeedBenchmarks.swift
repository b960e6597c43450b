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
    /// PUBLISHes answered 2xx.
    var published: Int
    /// Until the last event's PUBLISH was answered (calls: until every presentity's terminated state was).
    var wall: Duration
    /// CPU of the bench process (subscriber, feed service, engine, SIP endpoint; the producer's few script
    /// calls), until the last PUBLISH (calls: including the idle documents after the calls ended).
    var cpu: Duration
    /// Calls: presentities whose terminated state was published, of those expected (zero loss: all).
    var presentitiesEnded: Int? = nil
    var presentitiesExpected: Int? = nil
    /// PUBLISHes answered within `wall` (calls: without the idle documents that followed).
    var publishedInWall: Int? = nil
    var eventsPerSecond: Double { Double(events) / max(wall.seconds, 1e-9) }
    var perSecond: Double { Double(publishedInWall ?? published) / max(wall.seconds, 1e-9) }
    var perCPUSecond: Double { Double(published) / max(cpu.seconds, 1e-9) }
    var eventsPerCPUSecond: Double { Double(events) / max(cpu.seconds, 1e-9) }
    /// Events whose outcome did not reach the responder.
    var lost: Int {
        if let presentitiesEnded, let presentitiesExpected { return presentitiesExpected - presentitiesEnded }
        return max(0, events - published)
    }
}

struct FeedLatencyFigure {
    var rate: Int
    var events: Int
    var published: Int
    /// PUBLISHes the events call for (calls: caller and callee).
    var expected: Int
    var p50: Duration
    var p99: Duration
    var max: Duration
}

/// Records when the engine hands each presentity's PUBLISH to the SIP stack (then serialized and written), and
/// which presentities had a PUBLISH of a terminated dialog answered 2xx.
final class TimingTransport: PublishTransport {
    let inner: any PublishTransport
    let sent = Mutex<[String: ContinuousClock.Instant]>(Dictionary(minimumCapacity: 200_000))
    let ended = Mutex<Set<String>>(Set(minimumCapacity: 200_000))
    private static let terminated = Array("<state>terminated</state>".utf8)

    init(_ inner: any PublishTransport) {
        self.inner = inner
    }

    func send(_ request: SIPRequest, nextHop: SIPURI?) async throws(SIPTransactionError) -> SIPResponse {
        let now = ContinuousClock.now
        if let user = request.uri.user { sent.withLock { if $0[user] == nil { $0[user] = now } } }
        let response = try await inner.send(request, nextHop: nextHop)
        if (200..<300).contains(response.statusCode), let user = request.uri.user, Self.contains(request.body, Self.terminated) {
            ended.withLock { _ = $0.insert(user) }
        }
        return response
    }

    private static func contains(_ body: [UInt8], _ needle: [UInt8]) -> Bool {
        guard body.count >= needle.count else { return false }
        for start in 0...(body.count - needle.count) where body[start] == needle[0] {
            if body[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }
}

/// What the producer puts on Redis.
enum FeedWorkload: String, Sendable {
    /// One contact-insert per new AOR: one PIDF PUBLISH each.
    case registrations
    /// Calls between new users, each as three events (early, confirmed, terminated) on the dialogs feed:
    /// dialog-info PUBLISHes for caller and callee (updates of one presentity in flight coalesce, latest wins),
    /// then each one's idle document 2 s after its call ended.
    case calls

    var feed: FeedKind { self == .registrations ? .registrations : .dialogs }
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

    /// A Lua script publishing the calls `prefix<first>…` from `prefix a<i>` to `prefix c<i>`: with ARGV[4] "1",
    /// each call's early, confirmed and terminated events (all the calls' early events first, then their
    /// confirmed, then their terminated, as calls overlap); otherwise only their early events.
    static let callScript = """
        local states = ARGV[4] == '1' and {'early', 'confirmed', 'terminated'} or {'early'}
        for s = 1, #states do
          for i = tonumber(ARGV[2]), tonumber(ARGV[2]) + tonumber(ARGV[3]) - 1 do
            redis.call('PUBLISH', KEYS[1], '{"state":"' .. states[s] .. '","callid":"' .. ARGV[1] .. 'k' .. i .. '","from":"sip:' .. ARGV[1] .. 'a' .. i .. '@127.0.0.1","to":"sip:' .. ARGV[1] .. 'c' .. i .. '@127.0.0.1","from_tag":"f' .. i .. '","to_tag":"t' .. i .. '","seq":' .. s .. '}')
          end
        end
        return 0
        """

    /// - Parameters:
    ///   - server: where the PUBLISHes go; nil: the bare responder process (started here). Presentity names
    ///     carry the process id there, so runs against a real server never meet earlier ones.
    ///   - latencyRate: events per second of the steady phase; nil: half the rate the throughput phase sustained.
    static func run(
        workload: FeedWorkload = .registrations, throughputEvents: Int, latencyRate: Int?, latencySeconds: Int, server: SIPURI? = nil
    ) async throws -> (FeedThroughputFigure, [FeedLatencyFigure]) {
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
        let channel = "bench:\(workload.feed.rawValue)"
        let service = FeedService(configuration: .init(channels: [workload.feed: channel]), agent: engine, logger: logger)
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
        guard case .string(let sha) = try await producer.command(["SCRIPT", "LOAD", workload == .calls ? callScript : publishScript]) else {
            throw BenchError("SCRIPT LOAD")
        }
        let script = String(decoding: sha, as: UTF8.self)
        /// Registrations: `count` events. Calls: `count` calls, three events each when `whole`, else one.
        func produce(_ tag: String, first: Int, count: Int, whole: Bool = true) async throws {
            var arguments = ["EVALSHA", script, "1", channel, prefix + tag, String(first), String(count)]
            if workload == .calls { arguments.append(whole ? "1" : "0") }
            _ = try await producer.command(arguments)
        }

        func wait(limit: Duration, until done: () -> Bool) async throws {
            let end = ContinuousClock.now + limit
            while !done(), ContinuousClock.now < end { try await Task.sleep(for: .milliseconds(1)) }
        }
        /// Until no PUBLISH was answered for `quiet`.
        func waitQuiet(_ quiet: Duration) async throws {
            var last = published.load(ordering: .relaxed)
            var lastAt = ContinuousClock.now
            while ContinuousClock.now - lastAt < quiet {
                try await Task.sleep(for: .milliseconds(20))
                let now = published.load(ordering: .relaxed)
                if now != last { (last, lastAt) = (now, .now) }
            }
        }
        let endedCount = { timing.ended.withLock { $0.count } }

        // Warm-up: 2,000 events (first use of the table, the endpoint, the connections).
        switch workload {
        case .registrations:
            try await produce("w", first: 0, count: 2000)
            try await wait(limit: .seconds(30)) { published.load(ordering: .relaxed) >= 2000 }
        case .calls:
            try await produce("w", first: 0, count: 700)
            try await wait(limit: .seconds(30)) { endedCount() >= 1400 }
            try await waitQuiet(.seconds(3))
        }

        // Throughput: as fast as Redis takes them, about 1000 events per script call.
        published.store(0, ordering: .relaxed)
        let endedBefore = endedCount()
        let start = ContinuousClock.now
        let cpuBefore = ProcessCPU.now()
        let throughput: FeedThroughputFigure
        switch workload {
        case .registrations:
            var first = 0
            while first < throughputEvents {
                let count = min(1000, throughputEvents - first)
                try await produce("t", first: first, count: count)
                first += count
            }
            try await wait(limit: .seconds(300)) { published.load(ordering: .relaxed) >= throughputEvents }
            throughput = FeedThroughputFigure(
                events: throughputEvents, published: published.load(ordering: .relaxed), wall: ContinuousClock.now - start,
                cpu: (ProcessCPU.now() - cpuBefore).total)
        case .calls:
            let calls = throughputEvents / 3
            var first = 0
            while first < calls {
                let count = min(333, calls - first)
                try await produce("t", first: first, count: count)
                first += count
            }
            try await wait(limit: .seconds(300)) { endedCount() - endedBefore >= 2 * calls }
            let wall = ContinuousClock.now - start
            let ended = endedCount() - endedBefore
            let inWall = published.load(ordering: .relaxed)
            // The idle documents follow 2 s after each call ended: counted, with the CPU they cost.
            try await waitQuiet(.seconds(3))
            throughput = FeedThroughputFigure(
                events: calls * 3, published: published.load(ordering: .relaxed), wall: wall,
                cpu: (ProcessCPU.now() - cpuBefore).total, presentitiesEnded: ended, presentitiesExpected: 2 * calls,
                publishedInWall: inWall)
        }

        // A pause first, so the steady phase does not start in the wake of the burst.
        try await waitQuiet(.seconds(2))

        // Then latency, at steady rates (half the sustained one unless given, then the target's 5,000/s): a few
        // events every millisecond, each event's PUBLISH time recorded (calls: their early events, the caller's
        // PUBLISH).
        let perEvent = workload == .calls ? 2 : 1
        var phase = 0
        func steady(_ rate: Int) async throws -> FeedLatencyFigure {
            phase += 1
            let tag = "l\(phase)x"
            published.store(0, ordering: .relaxed)
            let perChunk = max(1, rate / 1000)
            let chunks = latencySeconds * 1000
            var publishedAt: [ContinuousClock.Instant] = []
            publishedAt.reserveCapacity(perChunk * chunks)
            let begin = ContinuousClock.now
            for chunk in 0..<chunks {
                let due = begin + .milliseconds(chunk)
                if due > .now { try await Task.sleep(until: due) }
                let sentAt = ContinuousClock.now
                try await produce(tag, first: chunk * perChunk, count: perChunk, whole: false)
                publishedAt += Array(repeating: sentAt, count: perChunk)
            }
            try await wait(limit: .seconds(60)) { published.load(ordering: .relaxed) >= perEvent * perChunk * chunks }
            let onWire = timing.sent.withLock { $0 }
            var latencies: [Duration] = []
            for (index, at) in publishedAt.enumerated() {
                let user = workload == .calls ? "\(prefix)\(tag)a\(index)" : "\(prefix)\(tag)\(index)"
                if let wire = onWire[user] { latencies.append(wire - at) }
            }
            latencies.sort()
            func percentile(_ p: Double) -> Duration {
                latencies.isEmpty ? .zero : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
            }
            let figure = FeedLatencyFigure(
                rate: perChunk * 1000, events: perChunk * chunks, published: published.load(ordering: .relaxed),
                expected: perEvent * perChunk * chunks, p50: percentile(0.5), p99: percentile(0.99), max: latencies.last ?? .zero)
            try await waitQuiet(.seconds(2))
            return figure
        }
        var latency = [try await steady(latencyRate ?? max(1000, Int(throughput.eventsPerSecond / 2) / 1000 * 1000))]
        if server == nil, latency[0].rate != 5000 { latency.append(try await steady(5000)) }

        await producer.close()
        subscriber.stop()
        await consumer.value
        await endpoint.close()
        try await group.shutdownGracefully()
        return (throughput, latency)
    }
}
