import LamplighterTestSupport
import Logging
import NIOCore
import NIOPosix
import SIPCore
import Testing
@testable import SIPStack

/// Over real UDP sockets on 127.0.0.1, against the real Kamailio started by deploy/test.
@Suite struct SIPUDPEndpointTests {
    let logger = Logger(label: "test.sip")

    func localURI(_ endpoint: SIPUDPEndpoint) throws -> SIPURI {
        try SIPURI(parsing: "sip:lamplighter@127.0.0.1:\(endpoint.localAddress.port!)")
    }

    @Test func kamailioAnswersOptions() async throws {
        let endpoint = try await SIPUDPEndpoint.bind(host: "127.0.0.1", port: 0, logger: logger)
        let target = try SIPURI(parsing: TestServices.kamailioURI)
        let response = try await endpoint.send(
            OptionsPing.request(to: target, from: try localURI(endpoint), userAgent: "Lamplighter-test"),
            to: try OptionsPing.destination(of: target))
        #expect(response.statusCode == 200)
        #expect(response.cseq?.method == .options)
        await endpoint.close()
    }

    @Test func aSilentPeerTimesOutAfterTimerF() async throws {
        var options = SIPUDPEndpoint.Options()
        options.timers = SIPTimers(t1: .milliseconds(10), t2: .milliseconds(40))
        let endpoint = try await SIPUDPEndpoint.bind(host: "127.0.0.1", port: 0, options: options, logger: logger)
        // A bound socket that never answers, so no ICMP error either.
        let silent = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let target = try SIPURI(parsing: "sip:127.0.0.1:\(silent.localAddress!.port!)")
        await #expect {
            _ = try await endpoint.send(
                OptionsPing.request(to: target, from: try localURI(endpoint), userAgent: "t"), to: silent.localAddress!)
        } throws: { error in
            (error as? SIPTransactionError)?.code == .timeout
        }
        try await silent.close()
        await endpoint.close()
    }

    @Test func answersOptionsAndRefusesUnknownNotifyAndOtherMethods() async throws {
        let server = try await SIPUDPEndpoint.bind(host: "127.0.0.1", port: 0, logger: logger)
        let client = try await SIPUDPEndpoint.bind(host: "127.0.0.1", port: 0, logger: logger)
        let target = try localURI(server)
        let ping = OptionsPing.request(to: target, from: try localURI(client), userAgent: "t")
        let ok = try await client.send(ping, to: server.localAddress)
        #expect(ok.statusCode == 200)
        #expect(ok.headers.allowEvents.contains("presence"))
        #expect(ok.to?.tag != nil)

        var notify = ping
        notify.method = .notify
        notify.headers.set("CSeq", "2 NOTIFY")
        notify.headers.set("Event", "presence")
        #expect(try await client.send(notify, to: server.localAddress).statusCode == 481)

        var message = ping
        message.method = .message
        message.headers.set("CSeq", "3 MESSAGE")
        let refused = try await client.send(message, to: server.localAddress)
        #expect(refused.statusCode == 405)
        #expect(refused.headers.first("Allow") != nil)
        await client.close()
        await server.close()
    }

    @Test func aMalformedDatagramIsDroppedAndTheEndpointKeepsWorking() async throws {
        let server = try await SIPUDPEndpoint.bind(host: "127.0.0.1", port: 0, logger: logger)
        let client = try await SIPUDPEndpoint.bind(host: "127.0.0.1", port: 0, logger: logger)
        let raw = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        try await raw.writeAndFlush(AddressedEnvelope(
            remoteAddress: server.localAddress, data: raw.allocator.buffer(string: "NOT SIP AT ALL\r\n\r\n")))
        let ping = OptionsPing.request(to: try localURI(server), from: try localURI(client), userAgent: "t")
        #expect(try await client.send(ping, to: server.localAddress).statusCode == 200)
        try await raw.close()
        await client.close()
        await server.close()
    }
}
