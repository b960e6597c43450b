import LamplighterTestSupport
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SIPCore
import Testing
@testable import SIPStack

/// Over real UDP sockets on 127.0.0.1, against the real Kamailio started by deploy/test.
@Suite struct SIPEndpointTests {
    let logger = Logger(label: "test.sip")

    func localURI(_ endpoint: SIPEndpoint) throws -> SIPURI {
        try SIPURI(parsing: "sip:lamplighter@127.0.0.1:\(endpoint.localAddress.port!)")
    }

    @Test func kamailioAnswersOptions() async throws {
        let endpoint = try await SIPEndpoint.bind(host: "127.0.0.1", port: 0, logger: logger)
        let target = try SIPURI(parsing: TestServices.kamailioURI)
        let response = try await endpoint.send(
            OptionsPing.request(to: target, from: try localURI(endpoint), userAgent: "Lamplighter-test"),
            to: try OptionsPing.destination(of: target))
        #expect(response.statusCode == 200)
        #expect(response.cseq?.method == .options)
        await endpoint.close()
    }

    @Test func aSilentPeerTimesOutAfterTimerF() async throws {
        var options = SIPEndpoint.Options()
        options.timers = SIPTimers(t1: .milliseconds(10), t2: .milliseconds(40))
        let endpoint = try await SIPEndpoint.bind(host: "127.0.0.1", port: 0, options: options, logger: logger)
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
        let server = try await SIPEndpoint.bind(host: "127.0.0.1", port: 0, logger: logger)
        let client = try await SIPEndpoint.bind(host: "127.0.0.1", port: 0, logger: logger)
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
        let server = try await SIPEndpoint.bind(host: "127.0.0.1", port: 0, logger: logger)
        let client = try await SIPEndpoint.bind(host: "127.0.0.1", port: 0, logger: logger)
        let raw = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        try await raw.writeAndFlush(AddressedEnvelope(
            remoteAddress: server.localAddress, data: raw.allocator.buffer(string: "NOT SIP AT ALL\r\n\r\n")))
        let ping = OptionsPing.request(to: try localURI(server), from: try localURI(client), userAgent: "t")
        #expect(try await client.send(ping, to: server.localAddress).statusCode == 200)
        try await raw.close()
        await client.close()
        await server.close()
    }

    func rawRequest(port: Int, branch: String = "z9hG4bKraw1", cseq: String = "1 OPTIONS", method: String = "OPTIONS") -> String {
        "\(method) sip:lamplighter@127.0.0.1 SIP/2.0\r\n"
            + "Via: SIP/2.0/UDP 127.0.0.1:\(port);branch=\(branch)\r\n"
            + "From: <sip:peer@127.0.0.1>;tag=p1\r\nTo: <sip:lamplighter@127.0.0.1>\r\n"
            + "Call-ID: raw-\(branch)@127.0.0.1\r\nCSeq: \(cseq)\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    }

    @Test func aMalformedButAnswerableRequestGets400NamingTheFault() async throws {
        let server = try await SIPEndpoint.bind(host: "127.0.0.1", port: 0, logger: logger)
        let peer = try await RawUDPPeer()
        try await peer.send(rawRequest(port: peer.port, cseq: "1 INVITE"), to: server.localAddress)
        let reply = try #require(await peer.receive())
        #expect(reply.hasPrefix("SIP/2.0 400 Bad Request ("), "\(reply)")
        #expect(reply.contains("INVITE"), "the reason names the mismatched method: \(reply)")
        #expect(reply.contains("branch=z9hG4bKraw1"))
        await peer.close()
        await server.close()
    }

    @Test func aRetransmittedRequestGetsTheSameResponseAgain() async throws {
        let server = try await SIPEndpoint.bind(host: "127.0.0.1", port: 0, logger: logger)
        let peer = try await RawUDPPeer()
        let request = rawRequest(port: peer.port, branch: "z9hG4bKretrans")
        try await peer.send(request, to: server.localAddress)
        let first = try #require(await peer.receive())
        try await peer.send(request, to: server.localAddress)
        let second = try #require(await peer.receive())
        #expect(first.hasPrefix("SIP/2.0 200 OK"))
        #expect(first == second, "the server transaction resends its response, same To tag")
        await peer.close()
        await server.close()
    }

    @Test func tooManyTransactionsWaitInsteadOfBeingDropped() async throws {
        var options = SIPEndpoint.Options()
        options.maxClientTransactions = 2
        options.timers = SIPTimers(t1: .milliseconds(20), t2: .milliseconds(40))
        let endpoint = try await SIPEndpoint.bind(host: "127.0.0.1", port: 0, options: options, logger: logger)
        let silent = try await RawUDPPeer()
        let target = try SIPURI(parsing: "sip:127.0.0.1:\(silent.port)")
        let local = try localURI(endpoint)
        let started = ContinuousClock.now
        let outcomes = await withTaskGroup(of: SIPTransactionError.Code?.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    do throws(SIPTransactionError) {
                        _ = try await endpoint.send(OptionsPing.request(to: target, from: local, userAgent: "t"), to: silent.channel.localAddress!)
                        return nil
                    } catch {
                        return error.code
                    }
                }
            }
            try? await Task.sleep(for: .milliseconds(300))
            let inFlight = await endpoint.clientTransactionsInFlight
            #expect(inFlight == 2, "the cap holds while callers wait")
            var codes: [SIPTransactionError.Code?] = []
            for await code in group { codes.append(code) }
            return codes
        }
        #expect(outcomes == Array(repeating: SIPTransactionError.Code.timeout, count: 4), "every caller got its own result")
        // Two rounds of Timer F (64 x 20 ms): the second pair waited for the first.
        #expect(ContinuousClock.now - started >= .milliseconds(2 * 1280))
        #expect(await endpoint.clientTransactionsInFlight == 0)
        await silent.close()
        await endpoint.close()
    }

    @Test func failsOverToTheNextDestination() async throws {
        var options = SIPEndpoint.Options()
        // Timer F 1.92 s: short for the silent peer, long enough for Kamailio on a loaded CI machine.
        options.timers = SIPTimers(t1: .milliseconds(30), t2: .milliseconds(120))
        let endpoint = try await SIPEndpoint.bind(host: "127.0.0.1", port: 0, options: options, logger: logger)
        let silent = try await RawUDPPeer()
        let kamailio = try SIPURI(parsing: TestServices.kamailioURI)
        let response = try await endpoint.send(
            OptionsPing.request(to: kamailio, from: try localURI(endpoint), userAgent: "t"),
            to: [
                SIPDestination(transport: .udp, address: silent.channel.localAddress!),
                SIPDestination(transport: .udp, address: try OptionsPing.destination(of: kamailio)),
            ])
        #expect(response.statusCode == 200)
        await silent.close()
        await endpoint.close()
    }

    @Test func notifyGoesToTheHandler() async throws {
        let server = try await SIPEndpoint.bind(host: "127.0.0.1", port: 0, logger: logger)
        await server.setRequestHandler { request, _ in
            request.headers.first("Event") == "presence" ? SIPResponse(replyingTo: request, statusCode: 200, reason: "OK") : nil
        }
        let client = try await SIPEndpoint.bind(host: "127.0.0.1", port: 0, logger: logger)
        var notify = OptionsPing.request(to: try localURI(server), from: try localURI(client), userAgent: "t")
        notify.method = .notify
        notify.headers.set("CSeq", "1 NOTIFY")
        notify.headers.set("Event", "presence")
        #expect(try await client.send(notify, to: server.localAddress).statusCode == 200)
        notify.headers.set("Event", "dialog")
        #expect(try await client.send(notify, to: server.localAddress).statusCode == 481)
        await client.close()
        await server.close()
    }

    @Test func kamailioAnswersOptionsOverTCP() async throws {
        let endpoint = try await SIPEndpoint.bind(host: "127.0.0.1", port: 0, logger: logger)
        try await endpoint.enableStreamTransport(.tcp, options: .init(), logger: logger)
        let target = try SIPURI(parsing: TestServices.kamailioURI + ";transport=tcp")
        let address = try OptionsPing.destination(of: target)
        let response = try await endpoint.send(
            OptionsPing.request(to: target, from: try localURI(endpoint), userAgent: "t"),
            to: [SIPDestination(transport: .tcp, address: address)])
        #expect(response.statusCode == 200)
        #expect(response.topVia?.transport == "TCP")
        await endpoint.close()
    }

    @Test func aRequestTooLargeForUDPGoesOverTCP() async throws {
        let endpoint = try await SIPEndpoint.bind(host: "127.0.0.1", port: 0, logger: logger)
        try await endpoint.enableStreamTransport(.tcp, options: .init(), logger: logger)
        let target = try SIPURI(parsing: TestServices.kamailioURI)
        var ping = OptionsPing.request(to: target, from: try localURI(endpoint), userAgent: "t")
        ping.headers.add("X-Padding", String(repeating: "p", count: 1400))
        let response = try await endpoint.send(ping, to: try OptionsPing.destination(of: target))
        #expect(response.statusCode == 200)
        #expect(response.topVia?.transport == "TCP", "RFC 3261 §18.1.1: over 1300 bytes switches to TCP")
        await endpoint.close()
    }

    @Test func kamailioAcceptsAPublish() async throws {
        let endpoint = try await SIPEndpoint.bind(host: "127.0.0.1", port: 0, logger: logger)
        let aor = UniqueNames.aor(domain: "127.0.0.1")
        let presentity = try SIPURI(parsing: aor)
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"\(aor)\">"
            + "<tuple id=\"t1\"><status><basic>open</basic></status></tuple></presence>\n"
        var headers = SIPHeaders()
        headers.add("From", "<\(aor)>;tag=\(SIPEndpoint.newToken(prefix: ""))")
        headers.add("To", "<\(aor)>")
        headers.add("Call-ID", SIPEndpoint.newToken(prefix: "pub-"))
        headers.add("CSeq", "1 PUBLISH")
        headers.add("Event", "presence")
        headers.add("Expires", "60")
        headers.add("Content-Type", "application/pidf+xml")
        let publish = SIPRequest(method: .publish, uri: presentity, headers: headers, body: Array(body.utf8))
        let kamailio = try OptionsPing.destination(of: try SIPURI(parsing: TestServices.kamailioURI))
        let response = try await endpoint.send(publish, to: kamailio)
        #expect(response.statusCode == 200)
        let etag = try #require(response.headers.sipETag)
        #expect(!etag.isEmpty)
        #expect(response.headers.expires == 60)
        // Remove it again: SIP-If-Match with Expires 0.
        var removal = publish
        removal.body = []
        removal.headers.remove("Content-Type")
        removal.headers.set("CSeq", "2 PUBLISH")
        removal.headers.set("Expires", "0")
        removal.headers.add("SIP-If-Match", etag)
        #expect(try await endpoint.send(removal, to: kamailio).statusCode == 200)
        await endpoint.close()
    }

    @Test func aLargeDatagramIsReadWhole() async throws {
        let server = try await SIPEndpoint.bind(host: "127.0.0.1", port: 0, logger: logger)
        let peer = try await RawUDPPeer()
        var request = rawRequest(port: peer.port, branch: "z9hG4bKlarge")
        // 6 KB of header: more than NIO's 2 KiB default datagram read, well under the 64 KiB UDP limit.
        request = request.replacingOccurrences(of: "Max-Forwards: 70\r\n", with: "Max-Forwards: 70\r\nX-Padding: \(String(repeating: "x", count: 6000))\r\n")
        try await peer.send(request, to: server.localAddress)
        let reply = try #require(await peer.receive())
        #expect(reply.hasPrefix("SIP/2.0 200 OK"), "\(reply.prefix(80))")
        await peer.close()
        await server.close()
    }

    @Test func provisionalResponsesArePassedUp() async throws {
        let endpoint = try await SIPEndpoint.bind(host: "127.0.0.1", port: 0, logger: logger)
        let peer = try await RawUDPPeer()
        let seen = NIOLockedValueBox<[Int]>([])
        let target = try SIPURI(parsing: "sip:127.0.0.1:\(peer.port)")
        async let response = endpoint.send(
            OptionsPing.request(to: target, from: try localURI(endpoint), userAgent: "t"),
            to: [SIPDestination(transport: .udp, address: peer.channel.localAddress!)],
            onProvisional: { provisional in seen.withLockedValue { $0.append(provisional.statusCode) } })
        let request = try SIPParser().parse(Array(try #require(await peer.receive()).utf8))
        let options = try #require(request.request)
        for (code, reason) in [(100, "Trying"), (200, "OK")] {
            let reply = SIPResponse(replyingTo: options, statusCode: code, reason: reason, toTag: "x")
            try await peer.send(String(decoding: reply.serialized(), as: UTF8.self), to: endpoint.localAddress)
        }
        #expect(try await response.statusCode == 200)
        #expect(seen.withLockedValue { $0 } == [100])
        await peer.close()
        await endpoint.close()
    }
}
