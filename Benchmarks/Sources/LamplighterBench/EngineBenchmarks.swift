// The publication engine (PUACore) end to end: PUBLISH throughput over UDP to a responder process, and how
// refreshes of 100,000 publications spread over time (virtual clock, in-process responder).
import Logging
import NIOCore
import NIOPosix
import PUACore
import SIPCore
import SIPStack
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct EngineThroughputFigure {
    var name: String
    var publications: Int
    var published: Int
    var failed: Int
    var wall: Duration
    var ourCPU: ProcessCPU
    var responderCPU: ProcessCPU
    var perWallSecond: Double { Double(published) / max(wall.seconds, 1e-9) }
    func perPublish(_ d: Duration) -> Double { d.seconds * 1e6 / Double(max(published, 1)) }
}

struct RefreshSpreadFigure {
    var publications: Int
    var simulated: Duration
    var refreshes: Int
    var firstRefreshSecond: Int
    var mean: Double
    var busiest: Int
    var lastHourMean: Double
    var lastHourBusiest: Int
    var failed: Int
}

enum EngineBenchmarks {
    static let responderFlag = "--publish-responder"

    // MARK: - Responder (child process)

    /// Child mode: a bare UDP responder answering every PUBLISH `200 OK` with a fresh SIP-ETag and the requested
    /// Expires (no transaction layer: the cheapest peer, so the machine's two cores go to the engine). Same
    /// control protocol as the OPTIONS responder: prints `port N`, answers `cpu`, stops at end of stdin.
    static func runResponder() async {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let channel: Channel
        do {
            channel = try await DatagramBootstrap(group: group)
                .channelOption(.socketOption(.so_rcvbuf), value: 8 << 20)
                .channelOption(.socketOption(.so_sndbuf), value: 8 << 20)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
                .channelOption(.maxMessagesPerRead, value: 16)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(PublishAnswerer()) }
                }
                .bind(host: "127.0.0.1", port: 0).get()
        } catch {
            writeAll(2, "publish responder: bind failed: \(error)\n")
            exit(1)
        }
        group.next().scheduleTask(in: .minutes(10)) { exit(0) }
        writeAll(1, "port \(channel.localAddress?.port ?? 0)\n")
        while let line = Swift.readLine() {
            if line == "count" {
                writeAll(1, "count \(answered.load(ordering: .relaxed))\n")
            }
            if line == "cpu" {
                let cpu = ProcessCPU.now()
                writeAll(1, "cpu \(cpu.user.microseconds) \(cpu.system.microseconds) maxrss \(peakRSSBytes())\n")
            }
        }
        try? await channel.close()
        try? await group.shutdownGracefully()
    }

    /// PUBLISHes answered so far (the `count` command).
    static let answered = Atomic<Int>(0)

    final class PublishAnswerer: ChannelInboundHandler {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        typealias OutboundOut = AddressedEnvelope<ByteBuffer>
        let parser = SIPParser()
        var etags = 0

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            guard case .request(let request)? = try? parser.parse(envelope.data.readableBytesView), request.method == .publish else { return }
            etags += 1
            EngineBenchmarks.answered.add(1, ordering: .relaxed)
            var response = SIPResponse(replyingTo: request, statusCode: 200, reason: "OK", toTag: "bench")
            response.headers.add("SIP-ETag", "e\(etags)")
            response.headers.add("Expires", request.headers.first("Expires") ?? "3600")
            let bytes = response.serialized()
            var buffer = context.channel.allocator.buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: buffer)), promise: nil)
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            context.flush()
        }
    }

    // MARK: - Throughput

    /// `count` publications through the engine to the responder: all initial PUBLISHes, then a modification of
    /// each (SIP-If-Match), each phase timed from the first `sendPublish` to the last 2xx.
    static func throughput(count: Int) async throws -> [EngineThroughputFigure] {
        let responder = try ChildProcess(arguments: [responderFlag])
        defer { responder.finish() }
        guard let portLine = responder.readLine(), portLine.hasPrefix("port "), let port = Int(portLine.dropFirst(5)), port > 0 else {
            throw BenchError("publish responder did not report its port")
        }
        func responderCPU() throws -> ProcessCPU {
            responder.send("cpu")
            let fields = (responder.readLine() ?? "").split(separator: " ")
            guard fields.count == 5, let user = Int64(fields[1]), let system = Int64(fields[2]) else {
                throw BenchError("publish responder did not report its CPU time")
            }
            return ProcessCPU(user: .microseconds(user), system: .microseconds(system))
        }

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var logger = Logger(label: "lamplighter-bench.engine")
        logger.logLevel = .error
        let endpoint = try await SIPEndpoint.bind(host: "127.0.0.1", port: 0, group: group, logger: logger)
        let resolver = SIPResolver(dns: DNSClient(nameserver: try SocketAddress(ipAddress: "127.0.0.1", port: 1)))
        let transport = SIPPublishTransport(endpoint: endpoint, resolver: resolver, defaultNextHop: SIPURI(host: "127.0.0.1", port: port))
        let engine = PublicationEngine(configuration: .init(hashSize: 12), transport: transport, logger: logger)
        let published = Atomic<Int>(0)
        let failed = Atomic<Int>(0)
        _ = await engine.registerCallback(for: nil) { _, outcome in
            switch outcome {
            case .published: published.add(1, ordering: .relaxed)
            case .failed: failed.add(1, ordering: .relaxed)
            case .removed: break
            }
        }
        let uris = (0..<count).map { SIPURI(user: "ext\($0)", host: "127.0.0.1") }
        func body(_ uri: SIPURI, _ basic: String) -> [UInt8] {
            Array("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"\(uri)\"><tuple><status><basic>\(basic)</basic></status></tuple></presence>\n".utf8)
        }

        func phase(_ name: String, basic: String) async throws -> EngineThroughputFigure {
            published.store(0, ordering: .relaxed)
            failed.store(0, ordering: .relaxed)
            let clock = ContinuousClock()
            let responderStart = try responderCPU()
            let cpuStart = ProcessCPU.now()
            let start = clock.now
            for uri in uris {
                try await engine.sendPublish(PublishParameters(presentity: uri, event: "presence", body: body(uri, basic), source: .admin))
            }
            let deadline = start + .seconds(120)
            while published.load(ordering: .relaxed) + failed.load(ordering: .relaxed) < count, clock.now < deadline {
                try await Task.sleep(for: .milliseconds(1))
            }
            let wall = clock.now - start
            return EngineThroughputFigure(
                name: name, publications: count, published: published.load(ordering: .relaxed), failed: failed.load(ordering: .relaxed),
                wall: wall, ourCPU: ProcessCPU.now() - cpuStart, responderCPU: try responderCPU() - responderStart)
        }

        var figures: [EngineThroughputFigure] = []
        figures.append(try await phase("initial PUBLISH (no SIP-If-Match, full body)", basic: "open"))
        figures.append(try await phase("modification (SIP-If-Match, new body)", basic: "closed"))
        await endpoint.close()
        try await group.shutdownGracefully()
        return figures
    }

    // MARK: - Refresh spread

    /// `count` publications made within the first 10 s (a restart), granted 3600 s each, then `hours` of virtual
    /// time second by second through the real engine (machine, spreader, timer heap) with an in-process
    /// responder: refreshes counted per second.
    static func refreshSpread(count: Int, hours: Int) async throws -> RefreshSpreadFigure {
        let clock = VirtualClock()
        let transport = InstantResponder(clock: clock)
        var logger = Logger(label: "lamplighter-bench.spread")
        logger.logLevel = .error
        let engine = PublicationEngine(
            configuration: .init(hashSize: 12), transport: transport, logger: logger, clock: { clock.now }, wallClock: { 0 })
        let failed = Atomic<Int>(0)
        _ = await engine.registerCallback(for: nil) { _, outcome in
            if case .failed = outcome { failed.add(1, ordering: .relaxed) }
        }
        let perSecond = count / 10
        let end = hours * 3600
        for second in 0..<end {
            clock.set(second: second)
            if second < 10 {
                for n in second * perSecond..<(second + 1) * perSecond {
                    let uri = SIPURI(user: "ext\(n)", host: "127.0.0.1")
                    try await engine.sendPublish(initialParameters(uri))
                }
            }
            await engine.fireDueTimers(now: clock.now)
            while await engine.transactionsInFlight > 0 { await Task.yield() }
        }
        let counts = transport.refreshesPerSecond(upTo: end)
        let first = counts.firstIndex { $0 > 0 } ?? end
        let window = counts[first...]
        let lastHour = counts[max(first, end - 3600)...]
        return RefreshSpreadFigure(
            publications: count, simulated: .seconds(end), refreshes: window.reduce(0, +), firstRefreshSecond: first,
            mean: Double(window.reduce(0, +)) / Double(max(window.count, 1)), busiest: window.max() ?? 0,
            lastHourMean: Double(lastHour.reduce(0, +)) / Double(max(lastHour.count, 1)), lastHourBusiest: lastHour.max() ?? 0,
            failed: failed.load(ordering: .relaxed))
    }
}

/// A registration-like publication: open, 3600 s.
func initialParameters(_ uri: SIPURI) -> PublishParameters {
    PublishParameters(
        presentity: uri, event: "presence",
        body: Array("<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"\(uri)\"><tuple><status><basic>open</basic></status></tuple></presence>".utf8),
        expires: 3600, source: .registrations)
}

/// Virtual time for the spread simulation: whole seconds after a fixed origin.
final class VirtualClock: Sendable {
    private let origin = ContinuousClock.now
    private let second = Mutex(0)

    var now: ContinuousClock.Instant { origin + .seconds(second.withLock { $0 }) }
    var currentSecond: Int { second.withLock { $0 } }
    func set(second value: Int) { second.withLock { $0 = value } }
}

/// Answers every PUBLISH 200 at once, in process, and counts refreshes (SIP-If-Match, no body) per virtual second.
final class InstantResponder: PublishTransport {
    private struct Counts {
        var refreshes: [Int: Int] = [:]
        var etag = 0
    }

    private let clock: VirtualClock
    private let counts = Mutex(Counts())

    init(clock: VirtualClock) {
        self.clock = clock
    }

    func send(_ request: SIPRequest, nextHop: SIPURI?) async throws(SIPTransactionError) -> SIPResponse {
        let second = clock.currentSecond
        let isRefresh = request.headers.contains("SIP-If-Match") && request.body.isEmpty
        let tag: Int = counts.withLock {
            $0.etag += 1
            if isRefresh { $0.refreshes[second, default: 0] += 1 }
            return $0.etag
        }
        var response = SIPResponse(replyingTo: request, statusCode: 200, reason: "OK", toTag: "spread")
        response.headers.add("SIP-ETag", "e\(tag)")
        response.headers.add("Expires", request.headers.first("Expires") ?? "3600")
        return response
    }

    func refreshesPerSecond(upTo end: Int) -> [Int] {
        counts.withLock { counts in (0..<end).map { counts.refreshes[$0] ?? 0 } }
    }
}

extension Duration {
    fileprivate var microseconds: Int64 {
        let c = components
        return c.seconds * 1_000_000 + c.attoseconds / 1_000_000_000_000
    }
}
