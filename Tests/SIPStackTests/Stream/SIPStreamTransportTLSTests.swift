import NIOCore
import NIOPosix
import SIPCore
import Testing
@testable import SIPStack

/// SIP over TLS on 127.0.0.1 with the throwaway certificates of Resources/tls.
@Suite struct SIPStreamTransportTLSTests {
    typealias Support = StreamTestSupport

    /// A TLS listener presenting `certificate` (server, wrong-name, untrusted-server).
    func listener(_ certificate: String, inbox: MessageInbox = MessageInbox()) async throws -> (SIPStreamTransport, SocketAddress) {
        let server = Support.transport(.tls, options: Support.tlsOptions(certificate: certificate), inbox: inbox)
        return (server, try await server.listen(host: "127.0.0.1", port: 0))
    }

    /// Expects `send` to fail with `.tlsHandshakeFailed` naming the destination.
    func expectHandshakeFailure(
        _ client: SIPStreamTransport, to destination: SIPDestination, sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        await #expect(sourceLocation: sourceLocation) {
            try await client.send(Support.request(), to: destination)
        } throws: { error in
            guard let error = error as? SIPTransportError else { return false }
            return error.code == .tlsHandshakeFailed && error.context.contains("tls:127.0.0.1:\(destination.address.port!)")
        }
    }

    @Test func exchangesMessagesWithAVerifiedServer() async throws {
        let serverInbox = MessageInbox(), clientInbox = MessageInbox()
        let (server, address) = try await listener("server", inbox: serverInbox)
        let client = Support.transport(.tls, options: Support.tlsOptions(), inbox: clientInbox)

        let request = Support.request(body: "over TLS")
        try await client.send(request, to: Support.destination(.tls, address, serverName: "localhost"))
        let (received, peer) = try await serverInbox.message(0)
        #expect(received == Support.wire(request))
        #expect(peer.transport == .tls)

        try await server.send(Support.reply(to: received), to: peer)
        let (reply, replyPeer) = try await clientInbox.message(0)
        #expect(reply.response?.statusCode == 200)
        #expect(replyPeer.serverName == "localhost")  // the outbound connection's destination, as asked for

        try await client.send(Support.request(), to: Support.destination(.tls, address, serverName: "localhost"))
        _ = try await serverInbox.message(1)
        #expect(await client.openConnectionCount == 1)
        #expect(await server.openConnectionCount == 1)

        await client.close()
        await server.close()
    }

    @Test func withoutAServerNameTheCertificateMustCarryTheAddress() async throws {
        let serverInbox = MessageInbox()
        let (server, address) = try await listener("server", inbox: serverInbox)
        let client = Support.transport(.tls, options: Support.tlsOptions(), inbox: MessageInbox())
        // server.pem has IP:127.0.0.1 in its SAN.
        try await client.send(Support.request(), to: Support.destination(.tls, address))
        _ = try await serverInbox.message(0)
        // A send naming the host is verified against that name: a second connection, not a reuse.
        try await client.send(Support.request(), to: Support.destination(.tls, address, serverName: "LOCALHOST"))
        _ = try await serverInbox.message(1)
        #expect(await client.openConnectionCount == 2)
        await client.close()
        await server.close()
    }

    @Test func aCertificateFromAnUntrustedCAFailsTheHandshake() async throws {
        let (server, address) = try await listener("untrusted-server")
        let client = Support.transport(.tls, options: Support.tlsOptions(), inbox: MessageInbox())
        await expectHandshakeFailure(client, to: Support.destination(.tls, address, serverName: "localhost"))
        #expect(await client.openConnectionCount == 0)
        await Support.eventually("the server forgets the failed connection") { await server.openConnectionCount == 0 }
        await client.close()
        await server.close()
    }

    @Test func aCertificateForAnotherNameFailsTheHandshake() async throws {
        let (server, address) = try await listener("wrong-name")
        let client = Support.transport(.tls, options: Support.tlsOptions(), inbox: MessageInbox())
        // Trusted chain, but issued to wrong.example: neither the name nor the address matches.
        await expectHandshakeFailure(client, to: Support.destination(.tls, address, serverName: "localhost"))
        await expectHandshakeFailure(client, to: Support.destination(.tls, address))
        #expect(await client.openConnectionCount == 0)
        await client.close()
        await server.close()
    }

    @Test func verificationCanBeTurnedOffExplicitly() async throws {
        let serverInbox = MessageInbox()
        let (server, address) = try await listener("untrusted-server", inbox: serverInbox)
        var options = Support.tlsOptions()
        options.tls?.verifyPeer = false
        let client = Support.transport(.tls, options: options, inbox: MessageInbox())
        try await client.send(Support.request(), to: Support.destination(.tls, address, serverName: "localhost"))
        _ = try await serverInbox.message(0)
        await client.close()
        await server.close()
    }

    @Test func configurationErrorsAreReported() async throws {
        // A listener needs a certificate and key.
        let noCertificate = Support.transport(.tls, options: Support.tlsOptions(), inbox: MessageInbox())
        await #expect {
            _ = try await noCertificate.listen(host: "127.0.0.1", port: 0)
        } throws: { error in
            (error as? SIPTransportError)?.code == .unsupportedTransport
        }
        await noCertificate.close()

        // A CA file that cannot be read fails sends, naming the file.
        let (server, address) = try await listener("server")
        let badCA = Support.transport(.tls, options: Support.tlsOptions(caFile: "missing-ca.pem"), inbox: MessageInbox())
        await #expect {
            try await badCA.send(Support.request(), to: Support.destination(.tls, address, serverName: "localhost"))
        } throws: { error in
            guard let error = error as? SIPTransportError else { return false }
            return error.code == .tlsHandshakeFailed && error.context.contains("missing-ca.pem")
        }
        await badCA.close()
        await server.close()
    }

    @Test func aClosedPortIsAConnectFailureNotAHandshakeFailure() async throws {
        // Port 1: nothing listens there, and unlike a probed-then-closed ephemeral port no parallel test can
        // take it in the meantime.
        let port = 1
        let client = Support.transport(.tls, options: Support.tlsOptions(), inbox: MessageInbox())
        await #expect {
            try await client.send(Support.request(), to: Support.destination(.tls, try SocketAddress(ipAddress: "127.0.0.1", port: port), serverName: "localhost"))
        } throws: { error in
            guard let error = error as? SIPTransportError else { return false }
            return error.code == .connectFailed && error.context.contains("tls:127.0.0.1:\(port) (localhost)")
        }
        await client.close()
    }

    @Test func aHandshakeThatNeverCompletesTimesOutOnBothSides() async throws {
        // A TCP server that accepts and never answers the ClientHello.
        let silent = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        var options = Support.tlsOptions()
        options.connectTimeout = .milliseconds(300)
        let client = Support.transport(.tls, options: options, inbox: MessageInbox())
        await #expect {
            try await client.send(Support.request(), to: Support.destination(.tls, silent.localAddress!, serverName: "localhost"))
        } throws: { error in
            guard let error = error as? SIPTransportError else { return false }
            return error.code == .tlsHandshakeFailed && error.context.contains("not done within")
        }
        #expect(await client.openConnectionCount == 0)
        await client.close()
        try await silent.close()

        // A client that connects to our listener and never starts the handshake is dropped at the deadline.
        var serverOptions = Support.tlsOptions(certificate: "server")
        serverOptions.connectTimeout = .milliseconds(300)
        let server = Support.transport(.tls, options: serverOptions, inbox: MessageInbox())
        let raw = try await RawStreamPeer.connect(to: try await server.listen(host: "127.0.0.1", port: 0))
        #expect(await raw.waitUntil(timeout: .seconds(10)) { _, closed in closed })
        #expect(await server.openConnectionCount == 0)
        await raw.close()
        await server.close()
    }

    @Test func aPlainTCPClientToATLSListenerDoesNotBreakIt() async throws {
        let serverInbox = MessageInbox()
        let (server, address) = try await listener("server", inbox: serverInbox)
        let raw = try await RawStreamPeer.connect(to: address)
        try await raw.write(Support.request().serialized())
        #expect(await raw.waitUntil { _, closed in closed })
        let client = Support.transport(.tls, options: Support.tlsOptions(), inbox: MessageInbox())
        try await client.send(Support.request(), to: Support.destination(.tls, address, serverName: "localhost"))
        _ = try await serverInbox.message(0)
        #expect(serverInbox.all.count == 1)
        await raw.close()
        await client.close()
        await server.close()
    }
}
