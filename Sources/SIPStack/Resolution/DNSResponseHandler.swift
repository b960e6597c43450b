import NIOCore

/// Runs one query on a connected UDP channel: sends, resends on timeout, and completes with the first
/// response that matches the ID and question. All state lives on `eventLoop`.
final class DNSResponseHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let id: UInt16
    private let question: DNSQuestion
    private let query: [UInt8]
    private let nameserver: SocketAddress
    private let attempts: Int
    private let timeout: TimeAmount
    private let eventLoop: any EventLoop
    private let promise: EventLoopPromise<DNSMessage>
    private var channel: (any Channel)?
    private var sent = 0
    private var timer: Scheduled<Void>?
    private var finished = false
    /// The last ignored datagram, reported if the query then times out.
    private var ignored: String?

    init(id: UInt16, question: DNSQuestion, query: [UInt8], nameserver: SocketAddress, attempts: Int, timeout: TimeAmount, eventLoop: any EventLoop) {
        self.id = id
        self.question = question
        self.query = query
        self.nameserver = nameserver
        self.attempts = attempts
        self.timeout = timeout
        self.eventLoop = eventLoop
        self.promise = eventLoop.makePromise(of: DNSMessage.self)
    }

    private var what: String { "\(question) from \(nameserver)" }

    /// Sends the first attempt; the future completes with the response or a ``DNSError``.
    func start(on channel: any Channel) -> EventLoopFuture<DNSMessage> {
        eventLoop.execute {
            guard !self.finished else { return }
            self.channel = channel
            self.send()
        }
        return promise.futureResult
    }

    /// Ends the query with ``DNSError/Code/cancelled``.
    func cancel() {
        eventLoop.execute { self.finish(.failure(DNSError(code: .cancelled, context: "\(self.what): cancelled"))) }
    }

    /// Ends the query with `error` before it started (the socket could not be opened).
    func abandon(_ error: DNSError) {
        eventLoop.execute { self.finish(.failure(error)) }
    }

    private func send() {
        eventLoop.preconditionInEventLoop()
        guard !finished, let channel else { return }
        sent += 1
        let envelope = AddressedEnvelope(remoteAddress: nameserver, data: channel.allocator.buffer(bytes: query))
        channel.writeAndFlush(envelope).whenFailure { error in
            self.finish(.failure(DNSError(code: .transportFailed, context: "\(self.what): send failed: \(error)")))
        }
        timer = eventLoop.scheduleTask(in: timeout) {
            if self.sent < self.attempts {
                self.send()
            } else {
                let seconds = Double(self.timeout.nanoseconds) / 1e9
                let note = self.ignored.map { "; ignored \($0)" } ?? ""
                self.finish(.failure(DNSError(
                    code: .timeout, context: "\(self.what): no response after \(self.attempts) attempts of \(seconds) s\(note)")))
            }
        }
    }

    private func finish(_ result: Result<DNSMessage, DNSError>) {
        eventLoop.preconditionInEventLoop()
        guard !finished else { return }
        finished = true
        timer?.cancel()
        timer = nil
        channel = nil
        switch result {
        case .success(let message): promise.succeed(message)
        case .failure(let error): promise.fail(error)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard !finished else { return }
        let message: DNSMessage
        do {
            message = try DNSMessage(parsing: envelope.data.readableBytesView)
        } catch {
            ignored = "a malformed response (\(error))"
            return
        }
        guard message.isResponse, message.id == id, message.questions.count == 1, message.questions[0].matches(question) else {
            ignored = "a response with another ID or question"
            return
        }
        if message.isTruncated {
            finish(.failure(DNSError(code: .truncated, context: "\(what): response truncated (TC), TCP fallback not implemented")))
        } else {
            finish(.success(message))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // On a connected UDP socket an ICMP port unreachable surfaces as ECONNREFUSED: nothing listens there.
        finish(.failure(DNSError(code: .transportFailed, context: "\(what): \(error)")))
    }
}
