import NIOCore
import NIOPosix
import Synchronization

/// A UDP "name server" on 127.0.0.1 for DNSClient tests: records every datagram and answers with
/// whatever `reply` returns for it (nothing, garbage, wrong IDs, ...).
final class ScriptedDNSServer: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    /// Given the query and how many came before it, the datagrams to send back.
    typealias Reply = @Sendable (_ query: [UInt8], _ index: Int) -> [[UInt8]]

    private let reply: Reply
    private let datagrams = Mutex<[[UInt8]]>([])
    private let channel = Mutex<(any Channel)?>(nil)

    private init(reply: @escaping Reply) {
        self.reply = reply
    }

    /// Binds on 127.0.0.1, a free port.
    static func start(reply: @escaping Reply) async throws -> ScriptedDNSServer {
        let server = ScriptedDNSServer(reply: reply)
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(server) }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        server.channel.withLock { $0 = channel }
        return server
    }

    /// The server's address.
    var address: SocketAddress { channel.withLock { $0!.localAddress! } }

    /// Every datagram received so far.
    var received: [[UInt8]] { datagrams.withLock { $0 } }

    func stop() async {
        try? await channel.withLock { $0 }?.close()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let query = Array(envelope.data.readableBytesView)
        let index = datagrams.withLock { list in
            list.append(query)
            return list.count - 1
        }
        for answer in reply(query, index) {
            context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: context.channel.allocator.buffer(bytes: answer))),
                          promise: nil)
        }
        context.flush()
    }

    /// The query turned into an empty NOERROR response (QR set), optionally with other flags or ID.
    static func emptyResponse(to query: [UInt8], extraFlags: UInt16 = 0, id: UInt16? = nil) -> [UInt8] {
        var response = query
        let flags = (UInt16(query[2]) << 8 | UInt16(query[3])) | 0x8080 | extraFlags
        response[2] = UInt8(flags >> 8)
        response[3] = UInt8(flags & 0xFF)
        if let id {
            response[0] = UInt8(id >> 8)
            response[1] = UInt8(id & 0xFF)
        }
        // Drop the OPT record: no additionals in the answer.
        response[10] = 0
        response[11] = 0
        let questionEnd = query[12...].firstIndex(of: 0)! + 1 + 4
        return Array(response[..<questionEnd])
    }
}
