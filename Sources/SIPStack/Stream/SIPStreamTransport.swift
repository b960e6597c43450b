import Logging
import Metrics
import NIOCore
import NIOPosix
import NIOSSL
import SIPCore
import Synchronization

/// SIP over TCP or TLS (RFC 3261 §18, RFC 5630): listens for connections, sends messages over a reused or
/// new connection per destination, frames what arrives and hands each message to `onMessage`.
///
/// The pure ``SIPStreamConnectionPool`` decides reuse, opening and closing. This class keeps it on one event loop
/// (``eventLoop``) and carries out its actions. Connections run on any loop of the group; their
/// ``SIPStreamConnectionHandler`` frames on that loop and reports to this one.
///
/// - A send reuses the connection to its destination, inbound or outbound: the destination `onMessage`
///   gives for a message is the connection it came on, so a reply sent there takes the same connection.
/// - Otherwise it connects. Only one connect per destination is in flight; concurrent sends wait for it and
///   share its outcome. A connection that dropped is forgotten, so the next send connects again.
/// - Connections idle (no bytes either way) for ``Options/idleTimeout`` are closed.
/// - A framing error (bad Content-Length, oversized message, unparsable head) closes only that connection
///   and counts `lamplighter_sip_stream_framing_errors_total`. RFC 5626 keep-alive pings are answered.
public final class SIPStreamTransport: @unchecked Sendable {
    /// `.tcp` or `.tls`.
    public let kind: SIPTransportKind
    /// Settings.
    public let options: Options
    let logger: Logger
    /// Called on a connection's event loop for each message received, with the connection's peer.
    let onMessage: @Sendable (SIPMessage, SIPDestination) -> Void
    /// Streams closed for breaking framing.
    let framingErrors = Counter(label: "lamplighter_sip_stream_framing_errors_total")
    /// Well-framed messages that failed validation (the same counter as malformed UDP datagrams).
    let invalidMessages = Counter(label: "lamplighter_sip_parse_errors_total")

    private let group: EventLoopGroup
    /// The loop that owns the pool and the connection table.
    private let eventLoop: EventLoop
    private let clientTLS: Result<NIOSSLContext, SIPTransportError>?
    private let serverTLS: Result<NIOSSLContext, SIPTransportError>?
    private let lastConnectionID = Atomic<UInt64>(0)

    // Event loop state.
    private var pool: SIPStreamConnectionPool
    private var connections: [SIPStreamConnectionPool.ConnectionID: Connection] = [:]
    private var timers: [SIPStreamConnectionPool.ConnectionID: Scheduled<Void>] = [:]
    private var listeners: [Channel] = []
    private var isClosed = false

    /// One connection as the I/O side knows it.
    private struct Connection {
        /// Nil while an outbound TCP connect is under way.
        var channel: Channel?
        /// The destination asked for (outbound) or the remote address (inbound).
        let peer: SIPDestination
        /// Succeeds with the channel once usable; fails if it never is. Sends wait on it.
        let ready: EventLoopPromise<Channel>
        var isReady = false
        /// The outbound connect, until it has produced the channel.
        var pendingConnect: EventLoopFuture<Channel>?
    }

    /// A transport of `kind` (`.tcp` or `.tls`).
    ///
    /// `onMessage` is called on an event loop for every message received on any connection, with the
    /// destination that sends back over that connection; it must not block. On TLS the client context
    /// is built here; a certificate or CA file that cannot be loaded is logged, and sends and `listen`
    /// fail with the reason.
    public init(
        kind: SIPTransportKind, options: Options, group: EventLoopGroup, logger: Logger,
        onMessage: @escaping @Sendable (SIPMessage, SIPDestination) -> Void
    ) {
        self.kind = kind
        self.options = options
        self.group = group
        self.eventLoop = group.next()
        var logger = logger
        logger[metadataKey: "sip.transport"] = "\(kind)"
        self.logger = logger
        self.onMessage = onMessage
        self.pool = SIPStreamConnectionPool(configuration: .init(
            idleTimeout: options.idleTimeout, connectTimeout: options.connectTimeout, maxConnections: max(1, options.maxConnections)))
        if kind == .tls {
            let tls = options.tls ?? TLSOptions()
            clientTLS = Result { () throws(SIPTransportError) in try SIPStreamTLS.makeClientContext(tls) }
            if tls.certificateFile != nil || tls.privateKeyFile != nil {
                serverTLS = Result { () throws(SIPTransportError) in try SIPStreamTLS.makeServerContext(tls) }
            } else {
                serverTLS = nil
            }
            if !tls.verifyPeer {
                logger.warning("TLS certificate verification is disabled: servers are not authenticated")
            }
            for case .failure(let error) in [clientTLS, serverTLS].compactMap({ $0 }) {
                logger.error("TLS setup failed", metadata: ["error": "\(error)"])
            }
        } else {
            clientTLS = nil
            serverTLS = nil
        }
    }

    // MARK: - Public API

    /// Listens on `host:port` (port 0 picks a free one) and returns the bound address. A TLS transport
    /// needs ``TLSOptions/certificateFile`` and ``TLSOptions/privateKeyFile``.
    public func listen(host: String, port: Int) async throws -> SocketAddress {
        guard kind != .udp else {
            throw SIPTransportError(code: .unsupportedTransport, context: "SIPStreamTransport carries tcp or tls, not udp")
        }
        let tlsContext: NIOSSLContext?
        if kind == .tls {
            guard let serverTLS else {
                throw SIPTransportError(
                    code: .unsupportedTransport, context: "a TLS listener needs TLSOptions.certificateFile and privateKeyFile")
            }
            tlsContext = try serverTLS.get()
        } else {
            tlsContext = nil
        }
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tlsContext {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tlsContext))
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        SIPStreamConnectionHandler(id: nextConnectionID(), transport: self, direction: .inbound, peer: nil))
                }
            }
            .bind(host: host, port: port)
            .get()
        let registered = try await eventLoop.submit { [self] () -> Bool in
            guard !isClosed else { return false }
            listeners.append(channel)
            return true
        }.get()
        guard registered, let address = channel.localAddress else {
            try? await channel.close()
            throw SIPTransportError(code: .closed, context: "transport closed while listening on \(host):\(port)")
        }
        logger.info("SIP stream listener up", metadata: ["address": "\(address)"])
        return address
    }

    /// Sends `message` to `destination`: over the open connection to it (inbound or outbound), else over a
    /// new one (one connect per destination at a time; concurrent senders wait for it).
    ///
    /// Throws `.connectFailed` (refused, unreachable, timed out, connection limit) or `.tlsHandshakeFailed`
    /// (untrusted certificate, wrong name, protocol), each naming the destination and reason; `.writeFailed`
    /// when the connection breaks during the write; `.closed` after ``close()``; `.unsupportedTransport`
    /// for a destination of another transport. A connection found closed before anything was written is
    /// replaced once.
    public func send(_ message: SIPMessage, to destination: SIPDestination) async throws(SIPTransportError) {
        guard kind != .udp, destination.transport == kind else {
            throw SIPTransportError(code: .unsupportedTransport, context: "\(destination): this transport carries \(kind)")
        }
        let buffer = ByteBuffer(bytes: message.serialized())
        for attempt in 1...2 {
            let (id, channel) = try await connection(to: destination)
            do {
                try await channel.writeAndFlush(buffer).get()
                return
            } catch let error as ChannelError where error == .ioOnClosedChannel && attempt == 1 {
                logger.debug("connection closed before the write; reconnecting", metadata: ["sip.peer": "\(destination)"])
                eventLoop.execute { self.connectionClosed(id, wasActive: true) }
            } catch {
                throw SIPTransportError(code: .writeFailed, context: "\(destination): \(error)")
            }
        }
        throw SIPTransportError(code: .writeFailed, context: "\(destination): connection closed before the write, twice")
    }

    /// Closes the listeners and every connection; sends waiting for a connection fail with `.closed`, and
    /// later sends too.
    public func close() async {
        let closing = (try? await eventLoop.submit { self.closeAll() }.get()) ?? []
        for future in closing { try? await future.get() }
    }

    /// Connections open now (connecting or established, inbound and outbound).
    public var openConnectionCount: Int {
        get async { (try? await eventLoop.submit { self.pool.count }.get()) ?? 0 }
    }

    // MARK: - Sending (event loop)

    private func nextConnectionID() -> SIPStreamConnectionPool.ConnectionID {
        lastConnectionID.wrappingAdd(1, ordering: .relaxed).newValue
    }

    private func connection(to destination: SIPDestination) async throws(SIPTransportError) -> (SIPStreamConnectionPool.ConnectionID, Channel) {
        let newID = nextConnectionID()
        do {
            return try await eventLoop.flatSubmit { self.acquire(destination, newID: newID) }.get()
        } catch let error as SIPTransportError {
            throw error
        } catch {
            throw SIPTransportError(code: .closed, context: "\(destination): \(error)")
        }
    }

    private func acquire(
        _ destination: SIPDestination, newID: SIPStreamConnectionPool.ConnectionID
    ) -> EventLoopFuture<(SIPStreamConnectionPool.ConnectionID, Channel)> {
        eventLoop.preconditionInEventLoop()
        guard !isClosed else {
            return eventLoop.makeFailedFuture(SIPTransportError(code: .closed, context: "\(destination): transport closed"))
        }
        switch pool.acquire(SIPStreamConnectionKey(destination), newID: newID, now: .now) {
        case .reuse(let id), .wait(let id):
            guard let connection = connections[id] else {
                preconditionFailure("pool and connection table disagree about connection \(id)")
            }
            if connection.isReady, connection.channel?.isActive != true {
                // Dropped, and its close not yet reported: forget it and connect afresh.
                connectionClosed(id, wasActive: true)
                return acquire(destination, newID: newID)
            }
            return connection.ready.futureResult.map { (id, $0) }
        case .open(let id, let actions):
            return open(id, to: destination, actions: actions).map { (id, $0) }
        case .refuse(let limit):
            return eventLoop.makeFailedFuture(SIPTransportError(
                code: .connectFailed, context: "\(destination): connection limit of \(limit) reached"))
        }
    }

    private func open(
        _ id: SIPStreamConnectionPool.ConnectionID, to destination: SIPDestination, actions: [SIPStreamConnectionPool.Action]
    ) -> EventLoopFuture<Channel> {
        let tlsContext: NIOSSLContext?
        switch clientTLS {
        case .success(let context):
            tlsContext = context
        case .failure(let error):
            pool.removed(id)
            return eventLoop.makeFailedFuture(SIPTransportError(code: error.code, context: "\(destination): \(error.context)"))
        case nil:
            tlsContext = nil  // TCP
        }
        let ready = eventLoop.makePromise(of: Channel.self)
        connections[id] = Connection(channel: nil, peer: destination, ready: ready)
        run(actions)
        let serverName = SIPStreamTLS.dnsName(destination.serverName)
        logger.debug("connecting", metadata: ["sip.peer": "\(destination)", "sip.connection": "\(id)"])
        let connect = ClientBootstrap(group: group)
            .connectTimeout(TimeAmount(options.connectTimeout))
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tlsContext {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: tlsContext, serverHostname: serverName))
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        SIPStreamConnectionHandler(id: id, transport: self, direction: .outbound, peer: destination))
                }
            }
            .connect(to: destination.address)
        connections[id]?.pendingConnect = connect
        connect.hop(to: eventLoop).whenComplete { result in
            switch result {
            case .success(let channel):
                self.connected(id, channel: channel)
            case .failure(let error):
                self.connectionFailed(id, SIPTransportError(code: .connectFailed, context: "\(destination): \(error)"))
            }
        }
        return ready.futureResult
    }

    // MARK: - Connection events (event loop)

    /// The outbound TCP connect finished (on TLS the handshake follows).
    private func connected(_ id: SIPStreamConnectionPool.ConnectionID, channel: Channel) {
        guard var connection = connections[id] else {
            channel.close(promise: nil)  // Given up on (timed out, transport closed) while connecting.
            return
        }
        connection.pendingConnect = nil
        if connection.channel == nil { connection.channel = channel }
        connections[id] = connection
    }

    private func inboundActive(_ id: SIPStreamConnectionPool.ConnectionID, channel: Channel, peer: SIPDestination) {
        guard !isClosed, let actions = pool.inboundOpened(id, key: SIPStreamConnectionKey(transport: kind, address: peer.address), now: .now)
        else {
            logger.warning(
                "refusing an inbound SIP connection", metadata: [
                    "sip.peer": "\(peer)", "reason": "\(isClosed ? "transport closed" : "connection limit \(pool.configuration.maxConnections) reached")",
                ])
            channel.close(promise: nil)
            return
        }
        connections[id] = Connection(channel: channel, peer: peer, ready: eventLoop.makePromise())
        run(actions)
        logger.debug("inbound connection", metadata: ["sip.peer": "\(peer)", "sip.connection": "\(id)"])
    }

    private func established(_ id: SIPStreamConnectionPool.ConnectionID, channel: Channel) {
        guard var connection = connections[id], !connection.isReady else { return }
        connection.isReady = true
        connection.channel = channel
        connection.pendingConnect = nil
        connections[id] = connection
        run(pool.established(id, now: .now))
        connection.ready.succeed(channel)
        logger.debug("connection established", metadata: ["sip.peer": "\(connection.peer)", "sip.connection": "\(id)"])
    }

    private func connectionFailed(_ id: SIPStreamConnectionPool.ConnectionID, _ error: SIPTransportError) {
        guard let connection = forget(id) else { return }
        logger.info("SIP stream connection failed", metadata: ["sip.connection": "\(id)", "error": "\(error)"])
        if !connection.isReady { connection.ready.fail(error) }
        connection.channel?.close(promise: nil)
    }

    private func connectionClosed(_ id: SIPStreamConnectionPool.ConnectionID, wasActive: Bool) {
        guard let connection = forget(id) else { return }
        logger.debug("connection closed", metadata: ["sip.peer": "\(connection.peer)", "sip.connection": "\(id)"])
        if !connection.isReady {
            // A refused connect can report its close before the connect future's failure arrives here.
            connection.ready.fail(kind == .tls && wasActive
                ? SIPTransportError(code: .tlsHandshakeFailed, context: "\(connection.peer): connection closed during the TLS handshake")
                : SIPTransportError(code: .connectFailed, context: "\(connection.peer): connection closed before it was usable"))
        }
        connection.channel?.close(promise: nil)
    }

    /// Removes `id` from the pool and the table, cancelling its timer.
    private func forget(_ id: SIPStreamConnectionPool.ConnectionID) -> Connection? {
        pool.removed(id)
        timers.removeValue(forKey: id)?.cancel()
        return connections.removeValue(forKey: id)
    }

    private func run(_ actions: [SIPStreamConnectionPool.Action]) {
        for action in actions {
            switch action {
            case .scheduleTimer(let id, let timer, let at, let generation):
                timers[id]?.cancel()
                let delay = max(ContinuousClock.now.duration(to: at), .zero)
                timers[id] = eventLoop.scheduleTask(in: TimeAmount(delay)) {
                    self.run(self.pool.timerFired(id, timer, generation: generation, now: .now))
                }
            case .close(let id, let reason):
                // The pool has already forgotten it.
                timers.removeValue(forKey: id)?.cancel()
                guard let connection = connections.removeValue(forKey: id) else { continue }
                switch reason {
                case .idle:
                    logger.debug("closing idle connection", metadata: ["sip.peer": "\(connection.peer)", "sip.connection": "\(id)"])
                case .connectTimeout:
                    let error = kind == .tls && connection.channel != nil
                        ? SIPTransportError(
                            code: .tlsHandshakeFailed,
                            context: "\(connection.peer): TLS handshake not done within \(options.connectTimeout)")
                        : SIPTransportError(
                            code: .connectFailed, context: "\(connection.peer): not connected within \(options.connectTimeout)")
                    logger.info("SIP stream connection timed out", metadata: ["sip.connection": "\(id)", "error": "\(error)"])
                    if !connection.isReady { connection.ready.fail(error) }
                }
                connection.channel?.close(promise: nil)
            }
        }
    }

    private func closeAll() -> [EventLoopFuture<Void>] {
        isClosed = true
        var closing = listeners.map { $0.close() }
        listeners = []
        _ = pool.removeAll()
        for timer in timers.values { timer.cancel() }
        timers = [:]
        for connection in connections.values {
            if !connection.isReady {
                connection.ready.fail(SIPTransportError(code: .closed, context: "\(connection.peer): transport closed"))
            }
            if let channel = connection.channel {
                closing.append(channel.close())
            } else if let pending = connection.pendingConnect {
                closing.append(pending.flatMap { $0.close() })
            }
        }
        connections = [:]
        return closing
    }

    // MARK: - Reports from the connection handlers (any loop)

    func handlerInboundActive(_ id: SIPStreamConnectionPool.ConnectionID, channel: Channel, peer: SIPDestination) {
        eventLoop.execute { self.inboundActive(id, channel: channel, peer: peer) }
    }

    func handlerEstablished(_ id: SIPStreamConnectionPool.ConnectionID, channel: Channel) {
        eventLoop.execute { self.established(id, channel: channel) }
    }

    func handlerFailed(_ id: SIPStreamConnectionPool.ConnectionID, _ error: SIPTransportError) {
        eventLoop.execute { self.connectionFailed(id, error) }
    }

    func handlerActivity(_ id: SIPStreamConnectionPool.ConnectionID) {
        let now = ContinuousClock.now
        eventLoop.execute { self.pool.activity(id, now: now) }
    }

    /// `wasActive`: TCP had connected (so a TLS connection closed in its handshake, not in its connect).
    func handlerClosed(_ id: SIPStreamConnectionPool.ConnectionID, wasActive: Bool) {
        eventLoop.execute { self.connectionClosed(id, wasActive: wasActive) }
    }
}
