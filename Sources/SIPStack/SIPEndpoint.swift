import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SIPCore

/// A SIP endpoint: UDP sockets (and, when added, stream transports) under one transaction layer.
///
/// All state lives on one event loop. The pure machines (``NonInviteClientTransaction``,
/// ``NonInviteServerTransaction``) decide; this class only carries out their actions: send, arm timers,
/// resume the caller waiting for a final response.
public final class SIPEndpoint: @unchecked Sendable {
    /// Endpoint settings.
    public struct Options: Sendable {
        /// SO_RCVBUF; loopback drops packets at 5k/s with the 64 KiB default.
        public var receiveBufferSize = 4 << 20
        /// SO_SNDBUF.
        public var sendBufferSize = 4 << 20
        /// RFC 3261 timers.
        public var timers = SIPTimers()
        /// Parser limits for received messages.
        public var limits = SIPLimits.default
        /// User-Agent / Server header value.
        public var userAgent = "Lamplighter"
        /// Event packages listed in Allow-Events.
        public var allowEvents = ["presence", "dialog", "message-summary", "presence.winfo"]
        /// Client transactions in flight at once; further `send` calls wait for a slot (back-pressure).
        public var maxClientTransactions = 2048
        /// RFC 3261 §18.1.1: a UDP request larger than this goes over TCP when TCP is available.
        public var udpSizeLimit = 1300
        /// Digest credentials answering 401/407 challenges; empty passes challenges up as responses.
        public var credentials: [SIPCredential] = []

        public init() {}
    }

    /// Answers incoming requests the endpoint does not answer itself (NOTIFY): return nil for 481.
    public typealias RequestHandler = @Sendable (SIPRequest, SIPDestination) async -> SIPResponse?

    /// Something that carries messages over a reliable transport (``SIPStreamTransport``).
    public protocol StreamSender: AnyObject, Sendable {
        /// Sends `message` to `destination`, reusing or opening a connection.
        func send(_ message: SIPMessage, to destination: SIPDestination) async throws(SIPTransportError)
        /// Closes listeners and connections.
        func close() async
    }

    private struct ClientKey: Hashable {
        var branch: String
        var method: String
    }

    private struct ServerKey: Hashable {
        var branch: String
        var sentBy: String
        var method: String
    }

    /// One FIFO per timer and delay: F and K have one delay each; Timer E's delay doubles from T1 up to T2, so
    /// each of its few delays has a queue of its own.
    private struct ClientTimerQueue: Hashable {
        var timer: NonInviteClientTransaction.Timer
        var delay: Duration
    }

    private struct Client {
        var transaction: NonInviteClientTransaction
        var request: SIPRequest
        /// The request serialized once, for the first send and every retransmission.
        var bytes: [UInt8]
        var destination: SIPDestination
        /// The caller's hook for 1xx responses.
        var onProvisional: (@Sendable (SIPResponse) -> Void)?
        var continuation: CheckedContinuation<(Result<SIPResponse, SIPTransactionError>, SIPRequest), Never>?
        /// How often the request was sent (more than once means retransmissions).
        var sends = 0
    }

    private struct Server {
        var transaction: NonInviteServerTransaction
        var request: SIPRequest
        var source: SIPDestination
    }

    /// The UDP socket's local address.
    public let localAddress: SocketAddress
    private let channel: Channel
    private var eventLoop: EventLoop { channel.eventLoop }
    private let options: Options
    private let logger: Logger
    private let parser: SIPParser
    private var clients: [ClientKey: Client] = [:]
    private var servers: [ServerKey: Server] = [:]
    private var streamSenders: [SIPTransportKind: any StreamSender] = [:]
    private var streamAddresses: [SIPTransportKind: SocketAddress] = [:]
    private var requestHandler: RequestHandler?
    /// Timers F and K of client transactions and J of server transactions: fixed delays, so FIFO queues.
    private var clientTimers = [ClientTimerQueue: FixedDelayTimerQueue<(ClientKey, UInt64)>]()
    private var serverTimers = FixedDelayTimerQueue<(ServerKey, UInt64)>()
    /// When the one wake-up for the fixed-delay queues is armed for.
    private var sweepArmedFor: ContinuousClock.Instant?
    /// The armed wake-up, cancelled when an earlier one replaces it.
    private var sweepTask: Scheduled<Void>?
    private var inFlight = 0
    /// Transactions waiting for a slot; started on the event loop as slots free (no thread hop).
    private var slotWaiters: [(Bool) -> Void] = []
    private var closed = false
    /// A flush of written datagrams is queued on the event loop.
    private var flushScheduled = false

    private let parseErrors = Counter(label: "lamplighter_sip_parse_errors_total")
    private let badRequests = Counter(label: "lamplighter_sip_bad_requests_answered_total")
    private let timeouts = Counter(label: "lamplighter_sip_transaction_timeouts_total")
    private let retransmissions = Counter(label: "lamplighter_sip_retransmissions_total")
    /// The same count, for this endpoint alone (the metric is process-wide).
    private let retransmissionTally = NIOLockedValueBox(0)
    private let failovers = Counter(label: "lamplighter_sip_failovers_total")
    private let authenticationFailures = Counter(label: "lamplighter_sip_authentication_failures_total")

    private init(channel: Channel, options: Options, logger: Logger) throws {
        self.channel = channel
        self.options = options
        self.logger = logger
        self.parser = SIPParser(limits: options.limits)
        guard let local = channel.localAddress else {
            throw SIPTransportError(code: .closed, context: "the UDP socket has no local address")
        }
        self.localAddress = local
    }

    /// Binds a UDP socket on `host:port` (port 0 picks a free one).
    public static func bind(
        host: String, port: Int, options: Options = Options(), group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) async throws -> SIPEndpoint {
        let handler = DatagramHandler()
        let channel = try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(options.receiveBufferSize))
            .channelOption(.socketOption(.so_sndbuf), value: SocketOptionValue(options.sendBufferSize))
            // NIO's datagram default reads 2 KiB and truncates the rest; a SIP datagram may be up to 64 KiB.
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
            // Drain several datagrams per wake-up under load.
            .channelOption(.maxMessagesPerRead, value: 16)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
            }
            .bind(host: host, port: port)
            .get()
        let endpoint = try SIPEndpoint(channel: channel, options: options, logger: logger)
        handler.endpoint = endpoint
        return endpoint
    }

    /// Adds a stream transport (TCP or TLS) whose listener has `localAddress` (used in Via).
    public func addStreamTransport(_ sender: any StreamSender, kind: SIPTransportKind, localAddress: SocketAddress) async {
        precondition(kind.isReliable, "stream transports are TCP or TLS")
        await onLoop {
            self.streamSenders[kind] = sender
            self.streamAddresses[kind] = localAddress
        }
    }

    /// Sets the handler for NOTIFY (and any later request types the endpoint routes up).
    public func setRequestHandler(_ handler: @escaping RequestHandler) async {
        await onLoop { self.requestHandler = handler }
    }

    /// Hands a message received on a stream transport to the transaction layer.
    public func streamMessageReceived(_ message: SIPMessage, from source: SIPDestination) {
        eventLoop.execute { self.messageReceived(message, from: source) }
    }

    /// Closes the sockets and stream transports; waiting callers fail with `.shutdown`.
    public func close() async {
        let streams = await onLoop { Array(self.streamSenders.values) }
        for stream in streams { await stream.close() }
        await onLoop {
            self.closed = true
            for (key, entry) in self.clients {
                entry.continuation?.resume(returning: (.failure(SIPTransactionError(code: .shutdown, context: "endpoint closed")), entry.request))
                self.clients[key] = nil
            }
            self.inFlight = 0
            let waiters = self.slotWaiters
            self.slotWaiters.removeAll()
            for waiter in waiters { waiter(false) }
        }
        try? await channel.close()
    }

    /// Client transactions currently holding a slot.
    public var clientTransactionsInFlight: Int {
        get async { await onLoop { self.inFlight } }
    }

    // MARK: - Sending requests

    /// Sends `request` over UDP to `address` and returns its final response.
    public func send(_ request: SIPRequest, to address: SocketAddress) async throws(SIPTransactionError) -> SIPResponse {
        try await send(request, to: [SIPDestination(transport: .udp, address: address)], onProvisional: nil)
    }

    /// Sends `request` to the first destination that answers, failing over to the next on timeout, transport
    /// error or 503 (RFC 3263 §4.3), and returns the final response.
    ///
    /// Waits for a slot when `maxClientTransactions` are in flight. The endpoint owns the Via: any Via in
    /// `request` is replaced by its own (its address, a fresh z9hG4bK branch, rport); Max-Forwards is added.
    /// `onProvisional` is called on the event loop with each 1xx response (it must not block).
    public func send(
        _ request: SIPRequest, to destinations: [SIPDestination],
        onProvisional: (@Sendable (SIPResponse) -> Void)? = nil
    ) async throws(SIPTransactionError) -> SIPResponse {
        guard !destinations.isEmpty else {
            throw SIPTransactionError(code: .unresolvable, context: "no destination for \(request.method.name) \(request.uri)")
        }
        var lastError = SIPTransactionError(code: .unresolvable, context: "no destination")
        for (index, destination) in destinations.enumerated() {
            let result = await runAuthenticated(request, to: destination, onProvisional: onProvisional)
            switch result {
            case .success(let response) where response.statusCode == 503 && index < destinations.count - 1:
                failovers.increment()
                logger.info("503 from destination, trying the next", metadata: ["destination": "\(destination)"])
                lastError = SIPTransactionError(code: .transportError, context: "503 from \(destination)")
            case .success(let response):
                return response
            case .failure(let error) where error.code == .shutdown || error.code == .authenticationFailed:
                throw error
            case .failure(let error):
                lastError = error
                if index < destinations.count - 1 {
                    failovers.increment()
                    logger.info("destination failed, trying the next", metadata: ["destination": "\(destination)", "error": "\(error)"])
                }
            }
        }
        throw lastError
    }

    /// One destination: the transaction, and for each 401/407 one authenticated retry (never a loop: the
    /// authenticator fails a second challenge with the same nonce).
    private func runAuthenticated(
        _ request: SIPRequest, to destination: SIPDestination,
        onProvisional: (@Sendable (SIPResponse) -> Void)?
    ) async -> Result<SIPResponse, SIPTransactionError> {
        var authenticator = DigestAuthenticator(credentials: options.credentials)
        var current = request
        while true {
            let (result, sent) = await runTransaction(current, to: destination, onProvisional: onProvisional)
            guard case .success(let response) = result, response.statusCode == 401 || response.statusCode == 407,
                  !options.credentials.isEmpty else { return result }
            switch authenticator.responseReceived(response, to: sent) {
            case .retry(let next):
                current = next
            case .fail(let error):
                authenticationFailures.increment()
                logger.warning("authentication failed", metadata: ["destination": "\(destination)", "error": "\(error)"])
                return .failure(SIPTransactionError(
                    code: .authenticationFailed, context: "\(request.method.name) \(request.uri) to \(destination): \(error)"))
            case .notAChallenge:
                return result
            }
        }
    }

    /// Runs one client transaction; returns its outcome and the request as sent (with the endpoint's Via).
    ///
    /// The transaction takes one of the endpoint's slots in the same hop to the event loop (waiting there when
    /// all are taken) and gives it back on the loop when its outcome is known.
    private func runTransaction(
        _ request: SIPRequest, to requested: SIPDestination,
        onProvisional: (@Sendable (SIPResponse) -> Void)?
    ) async -> (Result<SIPResponse, SIPTransactionError>, SIPRequest) {
        await withCheckedContinuation { continuation in
            eventLoop.execute {
                let start: (Bool) -> Void = { granted in
                    guard granted, !self.closed else {
                        if granted { self.releaseSlot() }
                        continuation.resume(returning: (.failure(SIPTransactionError(code: .shutdown, context: "endpoint closed")), request))
                        return
                    }
                    self.startTransaction(request, to: requested, onProvisional: onProvisional, continuation: continuation)
                }
                if self.closed {
                    start(false)
                } else if self.inFlight < self.options.maxClientTransactions {
                    self.inFlight += 1
                    start(true)
                } else {
                    self.slotWaiters.append(start)
                }
            }
        }
    }

    private func startTransaction(
        _ request: SIPRequest, to requested: SIPDestination, onProvisional: (@Sendable (SIPResponse) -> Void)?,
        continuation: CheckedContinuation<(Result<SIPResponse, SIPTransactionError>, SIPRequest), Never>
    ) {
        eventLoop.preconditionInEventLoop()
        var destination = requested
        let branch = Self.newToken(prefix: "z9hG4bK")
        var stamped = stamp(request, branch: branch, transport: destination.transport)
        var bytes = stamped.serialized()
        if destination.transport == .udp, streamSenders[.tcp] != nil, bytes.count > options.udpSizeLimit {
            // RFC 3261 §18.1.1: too large for UDP, send over TCP.
            destination.transport = .tcp
            stamped = stamp(request, branch: branch, transport: .tcp)
            bytes = stamped.serialized()
        }
        guard destination.transport == .udp || streamSenders[destination.transport] != nil else {
            releaseSlot()
            continuation.resume(returning: (.failure(SIPTransactionError(
                code: .transportError, context: "no \(destination.transport) transport configured for \(destination)")), stamped))
            return
        }
        let key = ClientKey(branch: branch, method: request.method.name)
        var transaction = NonInviteClientTransaction(reliable: destination.transport.isReliable, timers: options.timers)
        let actions = transaction.start(now: .now)
        clients[key] = Client(
            transaction: transaction, request: stamped, bytes: bytes, destination: destination,
            onProvisional: onProvisional, continuation: continuation)
        runClient(actions, for: key)
    }

    private func stamp(_ request: SIPRequest, branch: String, transport: SIPTransportKind) -> SIPRequest {
        let local = transport == .udp ? localAddress : (streamAddresses[transport] ?? localAddress)
        var via = SIPVia(transport: transport.viaToken, host: local.ipAddress ?? "127.0.0.1", port: local.port, branch: branch)
        via.parameters.set("rport", nil)
        var headers = SIPHeaders()
        headers.add("Via", via.description)
        for field in request.headers where field.name != "Via" { headers.add(field.name, field.value) }
        if headers.first("Max-Forwards") == nil { headers.add("Max-Forwards", "70") }
        var stamped = request
        stamped.headers = headers
        return stamped
    }

    private func releaseSlot() {
        eventLoop.preconditionInEventLoop()
        if !slotWaiters.isEmpty {
            slotWaiters.removeFirst()(true)  // The slot passes straight to the next caller.
        } else {
            inFlight -= 1
        }
    }

    /// Requests this endpoint retransmitted (Timer E) since it was bound.
    public var retransmissionsSent: Int { retransmissionTally.withLockedValue { $0 } }

    // MARK: - Client actions (event loop only)

    private func runClient(_ actions: [NonInviteClientTransaction.Action], for key: ClientKey) {
        eventLoop.preconditionInEventLoop()
        for action in actions {
            guard var entry = clients[key] else { return }
            switch action {
            case .sendRequest:
                entry.sends += 1
                if entry.sends > 1 {
                    retransmissions.increment()
                    retransmissionTally.withLockedValue { $0 += 1 }
                }
                clients[key] = entry
                transmit(bytes: entry.bytes, message: .request(entry.request), to: entry.destination) { [weak self] in
                    guard let self, var entry = self.clients[key] else { return }
                    let followUp = entry.transaction.transportFailed()
                    self.clients[key] = entry
                    self.runClient(followUp, for: key)
                }
            case .scheduleTimer(let timer, let at, let generation):
                // Stale entries (the transaction moved on) are dropped by generation when they expire.
                let queue = ClientTimerQueue(timer: timer, delay: timer == .e ? entry.transaction.timerEDelay : .zero)
                clientTimers[queue, default: FixedDelayTimerQueue()].arm(at: at, (key, generation))
                armSweep(for: at)
            case .deliverProvisional(let response):
                entry.onProvisional?(response)
            case .deliverFinal(let response):
                releaseSlot()
                entry.continuation?.resume(returning: (.success(response), entry.request))
                entry.continuation = nil
                clients[key] = entry
            case .reportTimeout:
                releaseSlot()
                timeouts.increment()
                entry.continuation?.resume(returning: (.failure(SIPTransactionError(
                    code: .timeout,
                    context: "\(entry.request.method.name) \(entry.request.uri) to \(entry.destination): no final response in \(options.timers.timerF)")),
                    entry.request))
                entry.continuation = nil
                clients[key] = entry
            case .reportTransportError:
                releaseSlot()
                entry.continuation?.resume(returning: (.failure(SIPTransactionError(
                    code: .transportError, context: "\(entry.request.method.name) to \(entry.destination): send failed")),
                    entry.request))
                entry.continuation = nil
                clients[key] = entry
            case .terminate:
                clients[key] = nil
            }
        }
    }

    private func clientTimerFired(_ timer: NonInviteClientTransaction.Timer, key: ClientKey, generation: UInt64) {
        guard var entry = clients[key] else { return }
        let followUp = entry.transaction.timerFired(timer, generation: generation, now: .now)
        clients[key] = entry
        runClient(followUp, for: key)
    }

    // MARK: - Fixed-delay timers (event loop only)

    /// Makes sure one wake-up is armed no later than `deadline` plus the sweep slack. An earlier deadline
    /// cancels the later wake-up it replaces: left in the event loop's scheduled-task heap, superseded wake-ups
    /// piled up by the thousand under load (each heap operation then copied and retained that many), and a
    /// soak's daemon spent its CPU there.
    private func armSweep(for deadline: ContinuousClock.Instant) {
        let at = deadline + Self.sweepSlack
        if let armed = sweepArmedFor, armed <= at { return }
        sweepTask?.cancel()
        sweepArmedFor = at
        sweepTask = schedule(at: at) { [weak self] in self?.sweep() }
    }

    /// Timers fire up to this late (never early), so that timers due close together share a wake-up (under
    /// load, deadlines are microseconds apart: one wake-up each would cost more than the transactions).
    static let sweepSlack: Duration = .milliseconds(2)

    /// Fires every due E, F, K and J timer, then re-arms for the earliest one left.
    private func sweep() {
        eventLoop.preconditionInEventLoop()
        sweepArmedFor = nil
        sweepTask = nil
        let now = ContinuousClock.now
        for queue in clientTimers.keys {
            for (key, generation) in clientTimers[queue]?.expire(now: now) ?? [] {
                clientTimerFired(queue.timer, key: key, generation: generation)
            }
        }
        for (key, generation) in serverTimers.expire(now: now) {
            guard var entry = servers[key] else { continue }
            let followUp = entry.transaction.timerFired(.j, generation: generation)
            servers[key] = entry
            runServer(followUp, for: key)
        }
        let next = (clientTimers.values.compactMap(\.nextDeadline) + [serverTimers.nextDeadline].compactMap { $0 }).min()
        if let next { armSweep(for: next) }
    }

    // MARK: - Server actions (event loop only)

    private func runServer(_ actions: [NonInviteServerTransaction.Action], for key: ServerKey) {
        eventLoop.preconditionInEventLoop()
        for action in actions {
            guard let entry = servers[key] else { return }
            switch action {
            case .deliverRequest:
                answer(entry.request, from: entry.source, key: key)
            case .sendResponse(let response):
                transmit(.response(response), to: entry.source) { [weak self] in
                    guard let self, var entry = self.servers[key] else { return }
                    let followUp = entry.transaction.transportFailed()
                    self.servers[key] = entry
                    self.runServer(followUp, for: key)
                }
            case .scheduleTimer(_, let at, let generation):
                serverTimers.arm(at: at, (key, generation))
                armSweep(for: at)
            case .terminate:
                servers[key] = nil
            }
        }
    }

    /// The transaction user side: OPTIONS 200, NOTIFY to the handler (481 without one), others 405.
    private func answer(_ request: SIPRequest, from source: SIPDestination, key: ServerKey) {
        switch request.method {
        case .options:
            respond(key, with: reply(to: request, 200, "OK"))
        case .notify:
            guard let handler = requestHandler else {
                respond(key, with: reply(to: request, 481, "Subscription Does Not Exist"))
                return
            }
            let pending = eventLoop.makePromise(of: SIPResponse?.self)
            pending.completeWithTask { await handler(request, source) }
            pending.futureResult.whenSuccess { [weak self] response in
                guard let self else { return }
                self.respond(key, with: response ?? self.reply(to: request, 481, "Subscription Does Not Exist"))
            }
        default:
            respond(key, with: reply(to: request, 405, "Method Not Allowed"))
        }
    }

    private func respond(_ key: ServerKey, with response: SIPResponse) {
        eventLoop.preconditionInEventLoop()
        guard var entry = servers[key] else { return }
        let actions = entry.transaction.respond(response, now: .now)
        servers[key] = entry
        runServer(actions, for: key)
    }

    private func reply(to request: SIPRequest, _ code: Int, _ reason: String) -> SIPResponse {
        var response = SIPResponse(replyingTo: request, statusCode: code, reason: reason, toTag: Self.newToken(prefix: ""))
        response.headers.add("Allow", "OPTIONS, NOTIFY")
        response.headers.add("Allow-Events", options.allowEvents.joined(separator: ", "))
        response.headers.add("Server", options.userAgent)
        return response
    }

    // MARK: - I/O (event loop only)

    private func transmit(_ message: SIPMessage, to destination: SIPDestination, onFailure: @escaping () -> Void) {
        transmit(bytes: nil, message: message, to: destination, onFailure: onFailure)
    }

    /// Sends `message` (already serialized as `bytes` when given) over its transport.
    private func transmit(bytes: [UInt8]?, message: SIPMessage, to destination: SIPDestination, onFailure: @escaping () -> Void) {
        eventLoop.preconditionInEventLoop()
        if destination.transport == .udp {
            let buffer = channel.allocator.buffer(bytes: bytes ?? message.serialized())
            channel.write(AddressedEnvelope(remoteAddress: destination.address, data: buffer)).whenFailure { [logger] error in
                logger.warning("SIP send failed", metadata: ["destination": "\(destination)", "error": "\(error)"])
                onFailure()
            }
            scheduleFlush()
            return
        }
        guard let sender = streamSenders[destination.transport] else {
            onFailure()
            return
        }
        let promise = eventLoop.makePromise(of: Void.self)
        promise.completeWithTask { try await sender.send(message, to: destination) }
        promise.futureResult.whenFailure { [logger] error in
            logger.warning("SIP send failed", metadata: ["destination": "\(destination)", "error": "\(error)"])
            onFailure()
        }
    }

    /// Datagrams written during one pass of the event loop go out with one flush (NIO sends them with one
    /// `sendmmsg`), instead of one system call each.
    private func scheduleFlush() {
        guard !flushScheduled else { return }
        flushScheduled = true
        eventLoop.execute {
            self.flushScheduled = false
            self.channel.flush()
        }
    }

    private func schedule(at instant: ContinuousClock.Instant, _ body: @escaping () -> Void) -> Scheduled<Void> {
        let delay = max(ContinuousClock.now.duration(to: instant), .zero)
        let nanoseconds = delay.components.seconds * 1_000_000_000 + delay.components.attoseconds / 1_000_000_000
        return eventLoop.scheduleTask(in: .nanoseconds(nanoseconds), body)
    }

    private func onLoop<T: Sendable>(_ body: @escaping () -> T) async -> T {
        await withCheckedContinuation { continuation in
            eventLoop.execute { continuation.resume(returning: body()) }
        }
    }

    // MARK: - Receiving (event loop only)

    fileprivate func datagramReceived(_ bytes: ByteBuffer, from address: SocketAddress) {
        let source = SIPDestination(transport: .udp, address: address)
        let message: SIPMessage
        do {
            message = try parser.parse(bytes.readableBytesView)
        } catch {
            if error.code == .emptyMessage { return }  // CRLF keep-alive.
            parseErrors.increment()
            if let reply = MalformedRequestReply.response(to: bytes.readableBytesView, error: error, server: options.userAgent) {
                badRequests.increment()
                transmit(.response(reply), to: source) {}
                logger.notice("answered a malformed request with 400", metadata: ["source": "\(address)", "error": "\(error)"])
            } else {
                logger.notice("dropped a malformed SIP datagram", metadata: ["source": "\(address)", "error": "\(error)"])
            }
            return
        }
        messageReceived(message, from: source)
    }

    private func messageReceived(_ message: SIPMessage, from source: SIPDestination) {
        eventLoop.preconditionInEventLoop()
        switch message {
        case .response(let response):
            guard let branch = response.topVia?.branch, let method = response.cseq?.method.name else { return }
            let key = ClientKey(branch: branch, method: method)
            guard var entry = clients[key] else { return }
            let actions = entry.transaction.responseReceived(response, now: .now)
            clients[key] = entry
            runClient(actions, for: key)
        case .request(let request):
            guard request.method != .ack, !closed, let via = request.topVia else { return }
            let key = ServerKey(
                branch: via.branch ?? "", sentBy: "\(via.host):\(via.port ?? 0)", method: request.method.name)
            if servers[key] == nil {
                servers[key] = Server(
                    transaction: NonInviteServerTransaction(reliable: source.transport.isReliable, timers: options.timers),
                    request: request, source: source)
            }
            guard var entry = servers[key] else { return }
            let actions = entry.transaction.requestReceived()
            servers[key] = entry
            runServer(actions, for: key)
        }
    }

    /// A random token: `prefix` + 16 base-36 characters.
    static func newToken(prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        return prefix + String(generator.next() as UInt64, radix: 36) + String(generator.next() as UInt64, radix: 36)
    }
}

/// Feeds received datagrams to the endpoint.
private final class DatagramHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    weak var endpoint: SIPEndpoint?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        endpoint?.datagramReceived(envelope.data, from: envelope.remoteAddress)
    }
}
