import Logging
import NIOCore
import NIOSSL
// NIOTLS comes with swift-nio-ssl (its dependency); Package.swift does not list it for SIPStack yet.
import NIOTLS
import SIPCore

/// The last handler of one stream connection's pipeline (after the TLS handler on TLS): decodes messages
/// and hands them to the transport's `onMessage`, answers keep-alive pings, closes the connection on a
/// framing error, and reports the connection's life (usable, failed, traffic, closed) to its
/// ``SIPStreamTransport``, which keeps the pool on its own event loop.
///
/// Lives on the channel's event loop. A connection is usable ("established") when TCP is connected, or on
/// TLS when the handshake and the certificate checks are done.
final class SIPStreamConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let id: SIPStreamConnectionPool.ConnectionID
    private let transport: SIPStreamTransport
    private let direction: SIPStreamConnectionPool.Direction
    /// Outbound: the destination asked for. Inbound: the remote address, known once active.
    private var peer: SIPDestination?
    private var decoder: SIPStreamDecoder
    private var logger: Logger
    private var active = false
    private var established = false
    private var reportedClosed = false
    private var readSinceReport = false

    /// `peer` is the destination of an outbound connection, nil for an inbound one.
    init(id: SIPStreamConnectionPool.ConnectionID, transport: SIPStreamTransport, direction: SIPStreamConnectionPool.Direction, peer: SIPDestination?) {
        self.id = id
        self.transport = transport
        self.direction = direction
        self.peer = peer
        self.decoder = SIPStreamDecoder(limits: transport.options.limits)
        self.logger = transport.logger
        self.logger[metadataKey: "sip.connection"] = "\(id)"
        if let peer { self.logger[metadataKey: "sip.peer"] = "\(peer)" }
    }

    func channelActive(context: ChannelHandlerContext) {
        active = true
        if direction == .inbound {
            guard let remote = context.channel.remoteAddress else {
                context.close(promise: nil)
                return
            }
            let peer = SIPDestination(transport: transport.kind, address: remote)
            self.peer = peer
            logger[metadataKey: "sip.peer"] = "\(peer)"
            transport.handlerInboundActive(id, channel: context.channel, peer: peer)
        }
        if transport.kind != .tls { markEstablished(context: context) }
        context.fireChannelActive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            markEstablished(context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func markEstablished(context: ChannelHandlerContext) {
        guard !established else { return }
        established = true
        transport.handlerEstablished(id, channel: context.channel)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        readSinceReport = true
        guard let peer else { return }
        for event in decoder.decode(Array(buffer.readableBytesView)) {
            switch event {
            case .message(let message):
                logger.trace("SIP message received")
                transport.onMessage(message, peer)
            case .ping:
                logger.trace("keep-alive ping answered")
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "\r\n")), promise: nil)
            case .invalidMessage(let error):
                transport.invalidMessages.increment()
                logger.notice("dropped an invalid SIP message", metadata: ["error": "\(error)"])
            case .framingError(let error):
                transport.framingErrors.increment()
                logger.notice("closing a SIP stream that broke framing", metadata: ["error": "\(error)"])
                context.close(promise: nil)
                return
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if readSinceReport {
            readSinceReport = false
            transport.handlerActivity(id)
        }
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if established {
            logger.debug("SIP stream connection error", metadata: ["error": "\(error)"])
        } else {
            let destination = peer.map { "\($0)" } ?? "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")"
            // Once TCP is up, only the TLS handshake (or its checks) can fail before the connection is usable.
            let failure = transport.kind == .tls && active
                ? SIPTransportError(code: .tlsHandshakeFailed, context: "\(destination): \(error)")
                : SIPTransportError(code: .connectFailed, context: "\(destination): \(error)")
            logger.info("SIP stream connection failed before it was usable", metadata: ["error": "\(failure)"])
            transport.handlerFailed(id, failure)
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        reportClosed()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // A channel that never became active (failed connect) has no channelInactive.
        reportClosed()
    }

    private func reportClosed() {
        guard !reportedClosed else { return }
        reportedClosed = true
        transport.handlerClosed(id, wasActive: active)
    }
}
