import NIOCore
import NIOPosix

/// A plain UDP socket on 127.0.0.1 for tests: sends raw bytes and collects what comes back.
final class RawUDPPeer: @unchecked Sendable {
    private final class Collector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let continuation: AsyncStream<String>.Continuation

        init(_ continuation: AsyncStream<String>.Continuation) {
            self.continuation = continuation
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            continuation.yield(String(buffer: unwrapInboundIn(data).data))
        }
    }

    let channel: Channel
    private var iterator: AsyncStream<String>.AsyncIterator

    init() async throws {
        let (stream, continuation) = AsyncStream<String>.makeStream()
        let collector = Collector(continuation)
        channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        iterator = stream.makeAsyncIterator()
    }

    var port: Int { channel.localAddress!.port! }

    func send(_ text: String, to address: SocketAddress) async throws {
        try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: channel.allocator.buffer(string: text)))
    }

    /// The next datagram received, or nil after `timeout`.
    func receive(timeout: Duration = .seconds(2)) async -> String? {
        var iterator = self.iterator
        let result = await withTaskGroup(of: String?.self) { group in
            group.addTask { await iterator.next() }
            group.addTask { try? await Task.sleep(for: timeout); return nil }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        self.iterator = iterator
        return result
    }

    func close() async {
        try? await channel.close()
    }
}
