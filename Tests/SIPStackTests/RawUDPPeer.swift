import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A plain UDP socket on 127.0.0.1 for tests: sends raw bytes and collects what comes back.
final class RawUDPPeer: Sendable {
    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let received = NIOLockedValueBox<[String]>([])

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let text = String(buffer: unwrapInboundIn(data).data)
            received.withLockedValue { $0.append(text) }
        }
    }

    let channel: Channel
    private let collector: Collector

    init() async throws {
        let collector = Collector()
        self.collector = collector
        channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    var port: Int { channel.localAddress!.port! }

    func send(_ text: String, to address: SocketAddress) async throws {
        try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: channel.allocator.buffer(string: text)))
    }

    /// The next datagram received, or nil after `timeout` (polls: this waits on the network, not on a timer).
    func receive(timeout: Duration = .seconds(10)) async -> String? {
        let deadline = ContinuousClock.now + timeout
        while true {
            // Checked once more after the deadline: a starved task may wake late with the datagram waiting.
            let next: String? = collector.received.withLockedValue { $0.isEmpty ? nil : $0.removeFirst() }
            if let next { return next }
            if ContinuousClock.now >= deadline { return nil }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    func close() async {
        try? await channel.close()
    }
}
