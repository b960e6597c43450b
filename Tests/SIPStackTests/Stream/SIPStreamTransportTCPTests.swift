import NIOCore
import NIOPosix
import SIPCore
import Testing
@testable import SIPStack

/// Two transports (or a transport and a raw socket) talking SIP over TCP on 127.0.0.1.
@Suite struct SIPStreamTransportTCPTests {
    typealias Support = StreamTestSupport

    @Test func requestArrivesWholeAndTheReplyReturnsOverTheSameConnection() async throws {
        let serverInbox = MessageInbox(), clientInbox = MessageInbox()
        let server = Support.transport(inbox: serverInbox)
        let client = Support.transport(inbox: clientInbox)
        let address = try await server.listen(host: "127.0.0.1", port: 0)

        let request = Support.request(body: "a body that must arrive whole")
        try await client.send(request, to: Support.destination(.tcp, address))
        let (received, peer) = try await serverInbox.message(0)
        #expect(received == Support.wire(request))
        #expect(peer.transport == .tcp)
        #expect(peer.address.port != address.port)  // the client's ephemeral port: the inbound connection

        // The reply to that peer goes back over the inbound connection: no new connection anywhere.
        try await server.send(Support.reply(to: received), to: peer)
        let (reply, replyPeer) = try await clientInbox.message(0)
        #expect(reply.response?.statusCode == 200)
        #expect(replyPeer.address == address)
        #expect(await server.openConnectionCount == 1)
        #expect(await client.openConnectionCount == 1)

        // The second request reuses the connection.
        try await client.send(Support.request(), to: Support.destination(.tcp, address))
        _ = try await serverInbox.message(1)
        #expect(serverInbox.all[1].peer == peer)
        #expect(await client.openConnectionCount == 1)
        #expect(await server.openConnectionCount == 1)

        await client.close()
        await server.close()
    }

    @Test func aRequestWrittenByteByByteArrivesWholeAndIsAnsweredOnTheSameSocket() async throws {
        let inbox = MessageInbox()
        let server = Support.transport(inbox: inbox)
        let address = try await server.listen(host: "127.0.0.1", port: 0)
        let raw = try await RawStreamPeer.connect(to: address)

        let request = Support.request(body: "byte by byte")
        try await raw.write(request.serialized(), chunkSize: 1)
        let (received, peer) = try await inbox.message(0)
        #expect(received == Support.wire(request))
        #expect(peer.address == raw.localAddress)
        #expect(inbox.all.count == 1)

        let reply = Support.reply(to: received)
        try await server.send(reply, to: peer)
        let bytes = reply.serialized()
        #expect(await raw.waitUntil { received, _ in received.count >= bytes.count })
        #expect(raw.received == bytes)
        #expect(await server.openConnectionCount == 1)

        await raw.close()
        await server.close()
    }

    @Test func keepAlivePingsAreAnsweredWithAPong() async throws {
        let inbox = MessageInbox()
        let server = Support.transport(inbox: inbox)
        let address = try await server.listen(host: "127.0.0.1", port: 0)
        let raw = try await RawStreamPeer.connect(to: address)

        try await raw.write(Array("\r\n\r\n".utf8))
        #expect(await raw.waitUntil { bytes, _ in bytes == Array("\r\n".utf8) })
        // Byte by byte, and between two messages, too.
        try await raw.write(Support.request().serialized() + Array("\r\n\r\n".utf8), chunkSize: 1)
        #expect(await raw.waitUntil { bytes, _ in bytes == Array("\r\n\r\n".utf8) })
        _ = try await inbox.message(0)
        #expect(!raw.isClosed)

        await raw.close()
        await server.close()
    }

    @Test func concurrentSendsToOneDestinationShareOneConnect() async throws {
        let serverInbox = MessageInbox()
        let server = Support.transport(inbox: serverInbox)
        let client = Support.transport(inbox: MessageInbox())
        let address = try await server.listen(host: "127.0.0.1", port: 0)

        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<20 {
                group.addTask { try await client.send(Support.request(callID: "concurrent-\(index)"), to: Support.destination(.tcp, address)) }
            }
            try await group.waitForAll()
        }
        _ = try await serverInbox.message(19)
        #expect(Set(serverInbox.all.map { $0.message.headers.first("Call-ID") }).count == 20)
        #expect(Set(serverInbox.all.map { $0.peer }).count == 1)
        #expect(await client.openConnectionCount == 1)
        #expect(await server.openConnectionCount == 1)

        await client.close()
        await server.close()
    }

    @Test func idleConnectionsAreClosedAndTheNextSendReconnects() async throws {
        // The one test that waits on the real idle timer: 1 s (200 ms once closed the connection before a
        // starved event loop had read the first message, under two CPU hogs and the whole suite).
        let options = SIPStreamTransport.Options(idleTimeout: .seconds(1))
        let serverInbox = MessageInbox()
        let server = Support.transport(options: options, inbox: serverInbox)
        let client = Support.transport(options: options, inbox: MessageInbox())
        let address = try await server.listen(host: "127.0.0.1", port: 0)

        try await client.send(Support.request(), to: Support.destination(.tcp, address))
        _ = try await serverInbox.message(0)
        // No count is read here: on a loaded machine the idle timer may already have closed the connection.
        await Support.eventually("both sides close the idle connection", timeout: .seconds(6)) {
            let clientCount = await client.openConnectionCount
            let serverCount = await server.openConnectionCount
            return clientCount == 0 && serverCount == 0
        }

        try await client.send(Support.request(), to: Support.destination(.tcp, address))
        _ = try await serverInbox.message(1)
        #expect(serverInbox.all[0].peer != serverInbox.all[1].peer)  // a new connection, a new source port

        await client.close()
        await server.close()
    }

    @Test func afterThePeerClosesTheConnectionTheNextSendReconnects() async throws {
        // The server drops idle connections after 1 s (long enough that a loaded machine still delivers the
        // first message before it); the client would keep them for a minute.
        let serverInbox = MessageInbox()
        let server = Support.transport(options: SIPStreamTransport.Options(idleTimeout: .seconds(1)), inbox: serverInbox)
        let client = Support.transport(inbox: MessageInbox())
        let address = try await server.listen(host: "127.0.0.1", port: 0)

        try await client.send(Support.request(), to: Support.destination(.tcp, address))
        _ = try await serverInbox.message(0)
        await Support.eventually("the client notices the server closed the connection", timeout: .seconds(10)) {
            await client.openConnectionCount == 0
        }
        try await client.send(Support.request(), to: Support.destination(.tcp, address))
        _ = try await serverInbox.message(1)
        #expect(serverInbox.all[0].peer != serverInbox.all[1].peer)

        await client.close()
        await server.close()
    }

    @Test func aRawPeerThatDisconnectsLeavesThePool() async throws {
        let server = Support.transport(inbox: MessageInbox())
        let address = try await server.listen(host: "127.0.0.1", port: 0)
        let raw = try await RawStreamPeer.connect(to: address)
        await Support.eventually("the inbound connection is counted") { await server.openConnectionCount == 1 }
        await raw.close()
        await Support.eventually("the closed connection is forgotten") { await server.openConnectionCount == 0 }
        await server.close()
    }

    @Test func aGarbageStreamClosesOnlyThatConnection() async throws {
        let inbox = MessageInbox()
        let server = Support.transport(inbox: inbox)
        let address = try await server.listen(host: "127.0.0.1", port: 0)
        let good = try await RawStreamPeer.connect(to: address)
        let bad = try await RawStreamPeer.connect(to: address)
        try await good.write(Support.request(callID: "good-1").serialized())
        _ = try await inbox.message(0)
        await Support.eventually("both connections are open") { await server.openConnectionCount == 2 }

        let garbage = String(decoding: Support.request(callID: "bad").serialized(), as: UTF8.self)
            .replacingOccurrences(of: "Content-Length: 0", with: "Content-Length: -12")
        try await bad.write(Array(garbage.utf8))
        #expect(await bad.waitUntil { _, closed in closed })
        await Support.eventually("only the bad connection is gone") { await server.openConnectionCount == 1 }

        try await good.write(Support.request(callID: "good-2").serialized())
        let (second, _) = try await inbox.message(1)
        #expect(second.headers.first("Call-ID") == "good-2")
        #expect(!good.isClosed)
        #expect(inbox.all.count == 2)

        await good.close()
        await bad.close()
        await server.close()
    }

    @Test func anOversizedMessageClosesTheConnection() async throws {
        var options = SIPStreamTransport.Options()
        options.limits = SIPLimits(maxMessageSize: 1024, maxBodySize: 1024)
        let server = Support.transport(options: options, inbox: MessageInbox())
        let address = try await server.listen(host: "127.0.0.1", port: 0)
        let raw = try await RawStreamPeer.connect(to: address)
        try await raw.write(Support.request(body: String(repeating: "x", count: 4096)).serialized())
        #expect(await raw.waitUntil { _, closed in closed })
        await raw.close()
        await server.close()
    }

    @Test func connectingToAClosedPortFailsWithConnectFailedNamingTheDestination() async throws {
        // A port that was just free: bind, note it, close.
        // Port 1: nothing listens there, and unlike a probed-then-closed ephemeral port no parallel test can
        // take it in the meantime.
        let port = 1

        let client = Support.transport(inbox: MessageInbox())
        let destination = Support.destination(.tcp, try SocketAddress(ipAddress: "127.0.0.1", port: port))
        await #expect {
            try await client.send(Support.request(), to: destination)
        } throws: { error in
            guard let error = error as? SIPTransportError else { return false }
            return error.code == .connectFailed && error.context.contains("tcp:127.0.0.1:\(port)")
        }
        #expect(await client.openConnectionCount == 0)
        await client.close()
    }

    @Test func theConnectionLimitRefusesNewConnections() async throws {
        let serverInbox = MessageInbox()
        var serverOptions = SIPStreamTransport.Options()
        serverOptions.maxConnections = 1
        let server = Support.transport(options: serverOptions, inbox: serverInbox)
        let address = try await server.listen(host: "127.0.0.1", port: 0)
        let first = try await RawStreamPeer.connect(to: address)
        await Support.eventually("the first connection is counted") { await server.openConnectionCount == 1 }
        let second = try await RawStreamPeer.connect(to: address)
        #expect(await second.waitUntil { _, closed in closed })  // refused: closed at once
        #expect(!first.isClosed)

        // An outbound send that needs a new connection beyond the limit fails before connecting.
        let other = Support.transport(inbox: MessageInbox())
        let otherAddress = try await other.listen(host: "127.0.0.1", port: 0)
        var clientOptions = SIPStreamTransport.Options()
        clientOptions.maxConnections = 1
        let client = Support.transport(options: clientOptions, inbox: MessageInbox())
        try await client.send(Support.request(), to: Support.destination(.tcp, otherAddress))
        let elsewhere = Support.destination(.tcp, try SocketAddress(ipAddress: "127.0.0.1", port: 9))
        await #expect {
            try await client.send(Support.request(), to: elsewhere)
        } throws: { error in
            (error as? SIPTransportError)?.code == .connectFailed && "\(error)".contains("limit of 1")
        }
        #expect(await client.openConnectionCount == 1)
        await other.close()
        await first.close()
        await second.close()
        await client.close()
        await server.close()
    }

    @Test func sendsFailAfterCloseAndOtherTransportsAreRefused() async throws {
        let client = Support.transport(inbox: MessageInbox())
        let somewhere = Support.destination(.tcp, try SocketAddress(ipAddress: "127.0.0.1", port: 9))
        await #expect {
            try await client.send(Support.request(), to: Support.destination(.udp, somewhere.address))
        } throws: { error in
            (error as? SIPTransportError)?.code == .unsupportedTransport
        }
        await client.close()
        await #expect {
            try await client.send(Support.request(), to: somewhere)
        } throws: { error in
            (error as? SIPTransportError)?.code == .closed
        }
        await #expect(throws: SIPTransportError.self) { _ = try await client.listen(host: "127.0.0.1", port: 0) }
    }
}
