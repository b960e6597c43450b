import Logging
import Metrics
import NIOCore
import NIOPosix
import SIPCore

/// A SIP endpoint on one UDP socket: runs client transactions and answers incoming requests.
///
/// All state lives on the channel's event loop; the pure ``NonInviteClientTransaction`` decides, this class
/// only carries out its actions (send, arm timers, resume the waiting caller).
public final class SIPUDPEndpoint: @unchecked Sendable {
    /// Socket options of the endpoint.
    public struct Options: Sendable {
        /// SO_RCVBUF; loopback drops packets at 5k/s with the 64 KiB default.
        public var receiveBufferSize = 4 << 20
        /// SO_SNDBUF.
        public var sendBufferSize = 4 << 20
        /// RFC 3261 timers.
        public var timers = SIPTimers()
        /// Parser limits for received datagrams.
        public var limits = SIPLimits.default
        /// User-Agent / Server header value.
        public var userAgent = "Lamplighter"
        /// Event packages listed in Allow-Events.
        public var allowEvents = ["presence", "dialog", "message-summary", "presence.winfo"]

        public init() {}
    }

    private struct Pending {
        var transaction: NonInviteClientTransaction
        var request: SIPRequest
        var destination: SocketAddress
        var continuation: CheckedContinuation<Result<SIPResponse, SIPTransactionError>, Never>?
    }

    private struct TransactionKey: Hashable {
        var branch: String
        var method: String
    }

    /// The bound local address.
    public let localAddress: SocketAddress
    private let channel: Channel
    private let options: Options
    private let logger: Logger
    private var pending: [TransactionKey: Pending] = [:]
    private let parser: SIPParser
    private let parseErrors = Counter(label: "lamplighter_sip_parse_errors_total")
    private let timeouts = Counter(label: "lamplighter_sip_transaction_timeouts_total")

    private init(channel: Channel, options: Options, logger: Logger) throws {
        self.channel = channel
        self.options = options
        self.logger = logger
        self.parser = SIPParser(limits: options.limits)
        guard let local = channel.localAddress else { throw SIPTransactionError(code: .transportError, context: "socket has no local address") }
        self.localAddress = local
    }

    /// Binds a UDP socket on `host:port` (port 0 picks a free one).
    public static func bind(
        host: String, port: Int, options: Options = Options(), group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) async throws -> SIPUDPEndpoint {
        let handler = DatagramHandler()
        let channel = try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(options.receiveBufferSize))
            .channelOption(.socketOption(.so_sndbuf), value: SocketOptionValue(options.sendBufferSize))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
            }
            .bind(host: host, port: port)
            .get()
        let endpoint = try SIPUDPEndpoint(channel: channel, options: options, logger: logger)
        handler.endpoint = endpoint
        return endpoint
    }

    /// Closes the socket; waiting transactions fail with `.shutdown`.
    public func close() async {
        try? await channel.close()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            channel.eventLoop.execute {
                for (key, entry) in self.pending {
                    entry.continuation?.resume(returning: .failure(SIPTransactionError(code: .shutdown, context: "endpoint closed")))
                    self.pending[key] = nil
                }
                continuation.resume()
            }
        }
    }

    /// Sends `request` in a new client transaction and returns its final response.
    ///
    /// The endpoint stamps a top Via (UDP, its address, a fresh z9hG4bK branch, rport) and Max-Forwards.
    public func send(_ request: SIPRequest, to destination: SocketAddress) async throws(SIPTransactionError) -> SIPResponse {
        var stamped = request
        let branch = Self.newBranch()
        let host = localAddress.ipAddress ?? "127.0.0.1"
        let port = localAddress.port ?? 5060
        var via = SIPVia(transport: "UDP", host: host, port: port, branch: branch)
        via.parameters.set("rport", nil)
        var headers = SIPHeaders()
        headers.add("Via", via.description)
        for field in request.headers { headers.add(field.name, field.value) }
        stamped.headers = headers
        if stamped.headers.first("Max-Forwards") == nil { stamped.headers.add("Max-Forwards", "70") }
        let key = TransactionKey(branch: branch, method: request.method.name)
        let result: Result<SIPResponse, SIPTransactionError> = await withCheckedContinuation { continuation in
            channel.eventLoop.execute {
                guard self.channel.isActive else {
                    continuation.resume(returning: .failure(SIPTransactionError(code: .shutdown, context: "endpoint closed")))
                    return
                }
                var transaction = NonInviteClientTransaction(reliable: false, timers: self.options.timers)
                let actions = transaction.start(now: .now)
                self.pending[key] = Pending(transaction: transaction, request: stamped, destination: destination, continuation: continuation)
                self.run(actions, for: key)
            }
        }
        return try result.get()
    }

    // MARK: - Running actions (event loop only)

    private func run(_ actions: [NonInviteClientTransaction.Action], for key: TransactionKey) {
        channel.eventLoop.preconditionInEventLoop()
        for action in actions {
            guard var entry = pending[key] else { return }
            switch action {
            case .sendRequest:
                write(entry.request.serialized(), to: entry.destination) { [weak self] in
                    guard let self, var entry = self.pending[key] else { return }
                    let followUp = entry.transaction.transportFailed()
                    self.pending[key] = entry
                    self.run(followUp, for: key)
                }
            case .scheduleTimer(let timer, let at, let generation):
                let delay = max(ContinuousClock.now.duration(to: at), .zero)
                let nanoseconds = delay.components.seconds * 1_000_000_000 + delay.components.attoseconds / 1_000_000_000
                channel.eventLoop.scheduleTask(in: .nanoseconds(nanoseconds)) { [weak self] in
                    guard let self, var entry = self.pending[key] else { return }
                    let followUp = entry.transaction.timerFired(timer, generation: generation, now: .now)
                    self.pending[key] = entry
                    self.run(followUp, for: key)
                }
            case .deliverProvisional:
                break
            case .deliverFinal(let response):
                entry.continuation?.resume(returning: .success(response))
                entry.continuation = nil
                pending[key] = entry
            case .reportTimeout:
                timeouts.increment()
                entry.continuation?.resume(returning: .failure(SIPTransactionError(
                    code: .timeout,
                    context: "\(entry.request.method.name) \(entry.request.uri) to \(entry.destination): no final response in \(options.timers.timerF)")))
                entry.continuation = nil
                pending[key] = entry
            case .reportTransportError:
                entry.continuation?.resume(returning: .failure(SIPTransactionError(
                    code: .transportError, context: "\(entry.request.method.name) to \(entry.destination): send failed")))
                entry.continuation = nil
                pending[key] = entry
            case .terminate:
                pending[key] = nil
            }
        }
    }

    private func write(_ bytes: [UInt8], to destination: SocketAddress, onFailure: @escaping () -> Void) {
        let buffer = channel.allocator.buffer(bytes: bytes)
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: destination, data: buffer)).whenFailure { [logger] error in
            logger.warning("SIP send failed", metadata: ["destination": "\(destination)", "error": "\(error)"])
            onFailure()
        }
    }

    // MARK: - Receiving (event loop only)

    fileprivate func datagramReceived(_ bytes: ByteBuffer, from source: SocketAddress) {
        let message: SIPMessage
        do {
            message = try parser.parse(bytes.readableBytesView)
        } catch {
            parseErrors.increment()
            logger.notice("dropped a malformed SIP datagram", metadata: ["source": "\(source)", "error": "\(error)"])
            return
        }
        switch message {
        case .response(let response):
            guard let branch = response.topVia?.branch, let method = response.cseq?.method.name else { return }
            let key = TransactionKey(branch: branch, method: method)
            guard var entry = pending[key] else { return }
            let actions = entry.transaction.responseReceived(response, now: .now)
            pending[key] = entry
            run(actions, for: key)
        case .request(let request):
            answer(request, from: source)
        }
    }

    /// Stateless answers until the server transaction layer lands: OPTIONS 200, NOTIFY 481, else 405.
    private func answer(_ request: SIPRequest, from source: SocketAddress) {
        guard request.method != .ack else { return }
        let response: SIPResponse
        switch request.method {
        case .options:
            response = Self.response(to: request, 200, "OK", options: options)
        case .notify:
            response = Self.response(to: request, 481, "Subscription Does Not Exist", options: options)
        default:
            response = Self.response(to: request, 405, "Method Not Allowed", options: options)
        }
        // Replies go to the packet's source address (RFC 3581 behaviour), which is also right without rport.
        write(response.serialized(), to: source) {}
    }

    static func response(to request: SIPRequest, _ code: Int, _ reason: String, options: Options) -> SIPResponse {
        var headers = SIPHeaders()
        for via in request.headers.all("Via") { headers.add("Via", via) }
        for name in ["From", "To", "Call-ID", "CSeq"] {
            if let value = request.headers.first(name) { headers.add(name, value) }
        }
        if var to = request.to, to.tag == nil {
            to.parameters.set("tag", newBranch().dropFirst(7).description)
            headers.set("To", to.description)
        }
        headers.add("Allow", "OPTIONS, NOTIFY")
        headers.add("Allow-Events", options.allowEvents.joined(separator: ", "))
        headers.add("Server", options.userAgent)
        return SIPResponse(statusCode: code, reason: reason, headers: headers)
    }

    static func newBranch() -> String {
        var generator = SystemRandomNumberGenerator()
        let random = (0..<2).map { _ in String(generator.next() as UInt64, radix: 36) }.joined()
        return "z9hG4bK" + random
    }
}

/// Feeds received datagrams to the endpoint.
private final class DatagramHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    weak var endpoint: SIPUDPEndpoint?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        endpoint?.datagramReceived(envelope.data, from: envelope.remoteAddress)
    }
}
