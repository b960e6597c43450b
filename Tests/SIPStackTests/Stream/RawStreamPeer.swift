import NIOCore
import NIOPosix
import Synchronization

/// A bare TCP client on a NIO socket, for feeding a stream transport exact bytes (byte by byte, garbage,
/// keep-alives) and reading what comes back.
final class RawStreamPeer: Sendable {
    private let channel: Channel
    private let collector: Collector

    private init(channel: Channel, collector: Collector) {
        self.channel = channel
        self.collector = collector
    }

    /// Connects to `address`.
    static func connect(to address: SocketAddress) async throws -> RawStreamPeer {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Reader(collector: collector)) }
            }
            .connect(to: address)
            .get()
        return RawStreamPeer(channel: channel, collector: collector)
    }

    /// The peer's own address (what the transport sees as the remote address).
    var localAddress: SocketAddress { channel.localAddress! }

    /// Writes `bytes` in chunks of `chunkSize`, each flushed and awaited on its own.
    func write(_ bytes: [UInt8], chunkSize: Int = .max) async throws {
        var index = 0
        while index < bytes.count {
            let end = min(bytes.count, index + max(1, min(chunkSize, bytes.count)))
            try await channel.writeAndFlush(ByteBuffer(bytes: bytes[index..<end])).get()
            index = end
        }
    }

    /// All bytes received so far.
    var received: [UInt8] { collector.state.withLock { $0.bytes } }

    /// Whether the other side closed the connection.
    var isClosed: Bool { collector.state.withLock { $0.closed } }

    /// Waits until the received bytes satisfy `condition`; false on timeout.
    func waitUntil(timeout: Duration = .seconds(5), _ condition: ([UInt8], Bool) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if collector.state.withLock({ condition($0.bytes, $0.closed) }) { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return collector.state.withLock { condition($0.bytes, $0.closed) }
    }

    /// Closes the socket.
    func close() async {
        try? await channel.close()
    }

    private final class Collector: Sendable {
        let state = Mutex<(bytes: [UInt8], closed: Bool)>(([], false))
    }

    private final class Reader: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let collector: Collector

        init(collector: Collector) { self.collector = collector }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            collector.state.withLock { $0.bytes.append(contentsOf: buffer.readableBytesView) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            collector.state.withLock { $0.closed = true }
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            context.close(promise: nil)
        }
    }
}
