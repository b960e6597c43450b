import Foundation
import LamplighterTestSupport
import NIOCore
import NIOPosix
import Testing
@testable import SIPStack

extension ResolutionTests {
    /// The UDP client, against scripted sockets and a real dnsmasq, all on 127.0.0.1.
    @Suite struct DNSClientTests {
        func client(_ address: SocketAddress, timeout: Duration = .milliseconds(150), attempts: Int = 2) -> DNSClient {
            var options = DNSClient.Options()
            options.timeout = timeout
            options.attempts = attempts
            return DNSClient(nameserver: address, options: options)
        }

        func expectError(_ code: DNSError.Code, _ body: () async throws(DNSError) -> DNSMessage, sourceLocation: SourceLocation = #_sourceLocation) async -> DNSError? {
            do {
                let message = try await body()
                Issue.record("expected \(code), got \(message)", sourceLocation: sourceLocation)
                return nil
            } catch {
                #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
                return error
            }
        }

        @Test func asksDnsmasqAndReturnsEveryRcode() async throws {
            try await Dnsmasq.run([.host("sip1.pbx.test", ipv4: "127.0.0.1")]) { dns in
                let client = client(try SocketAddress(ipAddress: dns.host, port: dns.port), timeout: .seconds(5))
                let found = try await client.query("SIP1.pbx.test", type: .a)
                #expect(found.responseCode == .noError && found.isResponse)
                #expect(found.addresses(.a, of: "sip1.pbx.test") == [DNSIPAddress(127, 0, 0, 1)])
                #expect(try await client.query("sip1.pbx.test", type: .aaaa).answers.isEmpty)
                #expect(try await client.query("nowhere.pbx.test", type: .a).responseCode == .nameError)
                #expect(try await client.query("example.com", type: .a).responseCode == .refused)
            }
        }

        @Test func retriesOnceThenTimesOut() async throws {
            let silent = try await ScriptedDNSServer.start { _, _ in [] }
            let started = ContinuousClock.now
            let error = await expectError(.timeout) { () async throws(DNSError) in try await client(silent.address).query("pbx.test", type: .srv) }
            #expect(ContinuousClock.now - started >= .milliseconds(300))
            #expect(error?.context.contains("pbx.test SRV") == true)
            // The server's own read loop may lag the client on a loaded machine: give the retry a moment to be read.
            let deadline = ContinuousClock.now + .seconds(2)
            while silent.received.count < 2, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            let received = silent.received
            #expect(received.count == 2, "one send and one retry")
            #expect(received.count == 2 && received[0] == received[1], "the retry is the same query, same ID")
            await silent.stop()
        }

        @Test func answersToTheRetryAreAccepted() async throws {
            let server = try await ScriptedDNSServer.start { query, index in index == 0 ? [] : [ScriptedDNSServer.emptyResponse(to: query)] }
            // Two seconds per attempt: the first goes unanswered by design, and the answer to the retry must
            // not miss its window on a loaded machine (0.15 s did once in CI).
            let message = try await client(server.address, timeout: .seconds(2)).query("pbx.test", type: .a)
            #expect(message.isResponse && message.question == DNSQuestion(name: "pbx.test", type: .a))
            #expect(server.received.count == 2)
            await server.stop()
        }

        @Test func ignoresWrongIDsQuestionsAndGarbage() async throws {
            let server = try await ScriptedDNSServer.start { query, _ in
                let id = UInt16(query[0]) << 8 | UInt16(query[1])
                var otherQuestion = ScriptedDNSServer.emptyResponse(to: query)
                otherQuestion[otherQuestion.count - 3] ^= 0x01  // another QTYPE
                return [
                    ScriptedDNSServer.emptyResponse(to: query, id: id &+ 1),
                    [0xde, 0xad],
                    otherQuestion,
                    query,  // not a response (QR clear)
                    ScriptedDNSServer.emptyResponse(to: query),
                ]
            }
            // Two seconds per attempt: the first goes unanswered by design, and the answer to the retry must
            // not miss its window on a loaded machine (0.15 s did once in CI).
            let message = try await client(server.address, timeout: .seconds(2)).query("pbx.test", type: .a)
            #expect(message.question?.type == .a)
            #expect(server.received.count == 1)
            await server.stop()
        }

        @Test func reportsOnlyIgnoredResponsesAsATimeoutThatSaysSo() async throws {
            let server = try await ScriptedDNSServer.start { _, _ in [[0xde, 0xad, 0xbe, 0xef]] }
            let error = await expectError(.timeout) { () async throws(DNSError) in try await client(server.address).query("pbx.test", type: .a) }
            #expect(error?.context.contains("malformed") == true)
            await server.stop()
        }

        @Test func aTruncatedResponseIsReported() async throws {
            let server = try await ScriptedDNSServer.start { query, _ in [ScriptedDNSServer.emptyResponse(to: query, extraFlags: 0x0200)] }
            _ = await expectError(.truncated) { () async throws(DNSError) in try await client(server.address).query("pbx.test", type: .srv) }
            await server.stop()
        }

        @Test func aClosedPortFailsFast() async throws {
            // A port that was just free: nothing listens, so the kernel answers with ICMP port unreachable.
            let probe = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
            let address = probe.localAddress!
            try await probe.close()
            // The kernel rate-limits ICMP machine-wide (net.ipv4.icmp_msgs_per_sec, burst 50), and parallel
            // tests on this host may use it up, so one attempt may go unanswered: three attempts of 1 s, and
            // the query must end before they all time out.
            let started = ContinuousClock.now
            _ = await expectError(.transportFailed) { () async throws(DNSError) in
                try await client(address, timeout: .seconds(1), attempts: 3).query("pbx.test", type: .a)
            }
            #expect(ContinuousClock.now - started < .seconds(3))
        }

        @Test func aNameThatCannotBeQueriedIsRefusedBeforeSending() async throws {
            let server = try await ScriptedDNSServer.start { _, _ in [] }
            _ = await expectError(.invalidName) { () async throws(DNSError) in try await client(server.address).query("a..b", type: .a) }
            #expect(server.received.isEmpty)
            await server.stop()
        }

        @Test func cancellationEndsTheWait() async throws {
            let silent = try await ScriptedDNSServer.start { _, _ in [] }
            let client = client(silent.address, timeout: .seconds(30))
            let task = Task { () -> Result<DNSMessage, DNSError> in
                do throws(DNSError) {
                    return .success(try await client.query("pbx.test", type: .a))
                } catch {
                    return .failure(error)
                }
            }
            try await Task.sleep(for: .milliseconds(50))
            let started = ContinuousClock.now
            task.cancel()
            let result = await task.value
            #expect(ContinuousClock.now - started < .seconds(5))
            guard case .failure(let error) = result else { Issue.record("answered: \(result)"); return }
            #expect(error.code == .cancelled)
            await silent.stop()
        }

        // MARK: - resolv.conf

        @Test func readsNameserversFromResolvConf() throws {
            let conf = ResolvConf(parsing: """
                # generated
                search example.com
                ; comment
                nameserver 10.255.255.53
                nameserver\t2001:db8::53
                nameserver fe80::1%eth0
                nameserver not-an-address
                options ndots:2
                #nameserver 192.0.2.99
                """)
            #expect(conf.nameservers.map { "\($0.ipAddress ?? "?") \($0.port ?? 0)" } == ["10.255.255.53 53", "2001:db8::53 53"])
        }

        @Test func theSystemClientUsesTheFirstNameserver() throws {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent(UniqueNames.make("resolv")).path
            try "nameserver 127.0.0.53\nnameserver 127.0.0.54\n".write(toFile: path, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: path) }
            #expect(try DNSClient.system(resolvConfPath: path).nameserver == SocketAddress(ipAddress: "127.0.0.53", port: 53))
            #expect(throws: DNSError(code: .noNameserver, context: "cannot read /nonexistent/resolv.conf")) {
                try DNSClient.system(resolvConfPath: "/nonexistent/resolv.conf")
            }
        }
    }
}
