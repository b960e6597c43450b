import LamplighterTestSupport
import NIOCore
import NIOPosix
import SIPCore
import Testing
@testable import SIPStack

extension ResolutionTests {
    /// `SIPResolver` against a real DNS server: a private dnsmasq on 127.0.0.1 serving the zone below.
    @Suite struct SIPResolverDnsmasqTests {
        static let zone: [Dnsmasq.Record] = [
            // pbx.test: two targets at priority 10 (weights 100 and 0), a backup at priority 20.
            .srv("_sip._udp.pbx.test", target: "sip1.pbx.test", port: 5070, priority: 10, weight: 100),
            .srv("_sip._udp.pbx.test", target: "sip2.pbx.test", port: 5071, priority: 10, weight: 0),
            .srv("_sip._udp.pbx.test", target: "backup.pbx.test", port: 5080, priority: 20, weight: 0),
            .host("sip1.pbx.test", ipv4: "127.0.0.1"),
            .host("sip2.pbx.test", ipv4: "127.0.0.2", ipv6: "::1"),
            .host("backup.pbx.test", ipv4: "127.0.0.3"),
            // weighted.test: 60/40 in one priority.
            .srv("_sip._udp.weighted.test", target: "sip1.pbx.test", port: 5070, priority: 0, weight: 60),
            .srv("_sip._udp.weighted.test", target: "sip2.pbx.test", port: 5071, priority: 0, weight: 40),
            // plain.test: no SRV at all.
            .host("plain.test", ipv4: "127.0.0.4"),
            .cname("alias.test", target: "plain.test"),
            // secure.test: TLS only; tcponly.test: TCP only.
            .srv("_sips._tcp.secure.test", target: "tls1.secure.test", port: 5061),
            .host("tls1.secure.test", ipv4: "127.0.0.5"),
            .srv("_sip._tcp.tcponly.test", target: "t.tcponly.test", port: 5090),
            .host("t.tcponly.test", ipv4: "127.0.0.6"),
            // closed.test: service decidedly not available.
            .srvUnavailable("_sips._tcp.closed.test"),
            .host("closed.test", ipv4: "127.0.0.7"),
        ]

        func withResolver(_ body: (SIPResolver) async throws -> Void) async throws {
            try await Dnsmasq.run(Self.zone) { dns in
                var options = DNSClient.Options()
                options.timeout = .seconds(2)
                let client = DNSClient(nameserver: try SocketAddress(ipAddress: dns.host, port: dns.port), options: options)
                try await body(SIPResolver(dns: client))
            }
        }

        /// Resolves `uri` (any error rethrown untyped, which #expect handles best).
        func resolve(_ resolver: SIPResolver, _ uri: String) async throws -> [SIPDestination] {
            try await resolver.resolve(try SIPURI(parsing: uri))
        }

        func destination(_ transport: SIPTransportKind, _ ip: String, _ port: Int, _ serverName: String) -> SIPDestination {
            SIPDestination(transport: transport, address: try! SocketAddress(ipAddress: ip, port: port), serverName: serverName)
        }

        @Test func srvTargetsComeInPriorityAndWeightOrderWithEveryAddress() async throws {
            try await withResolver { resolver in
                let uri = try SIPURI(parsing: "sip:pbx.test")
                // A draw of 5 out of 0...100 picks the weight-100 target; 0 picks the weight-0 one (listed first).
                var heavyFirst = ScriptedRandom([5])
                #expect(try await resolver.resolve(uri, using: &heavyFirst) == [
                    destination(.udp, "127.0.0.1", 5070, "pbx.test"),
                    destination(.udp, "127.0.0.2", 5071, "pbx.test"),
                    destination(.udp, "::1", 5071, "pbx.test"),
                    destination(.udp, "127.0.0.3", 5080, "pbx.test"),
                ])
                var zeroFirst = ScriptedRandom([0])
                #expect(try await resolver.resolve(uri, using: &zeroFirst).map(\.address.port) == [5071, 5071, 5070, 5080])
            }
        }

        @Test func weightsShareTheFirstPlace() async throws {
            try await withResolver { resolver in
                var random = SplitMix64(seed: 3263)
                var firstPorts: [Int: Int] = [:]
                for _ in 0..<200 {
                    let destinations = try await resolver.resolve(try SIPURI(parsing: "sip:weighted.test"), using: &random)
                    #expect(destinations.count == 3)
                    firstPorts[destinations[0].address.port!, default: 0] += 1
                }
                // Expected 61/101 ≈ 60 % for weight 60; generous bounds, the seed makes it deterministic anyway.
                #expect((90...150).contains(firstPorts[5070, default: 0]), "\(firstPorts)")
                #expect(firstPorts[5070, default: 0] + firstPorts[5071, default: 0] == 200)
            }
        }

        @Test func withoutSRVTheARecordIsUsedOnTheDefaultPort() async throws {
            try await withResolver { resolver in
                let sip = try await resolve(resolver, "sip:plain.test")
                #expect(sip == [destination(.udp, "127.0.0.4", 5060, "plain.test")])
                let sips = try await resolve(resolver, "sips:plain.test")
                #expect(sips == [destination(.tls, "127.0.0.4", 5061, "plain.test")])
                let alias = try await resolve(resolver, "sip:alias.test:5072;transport=tcp")
                #expect(alias == [destination(.tcp, "127.0.0.4", 5072, "alias.test")])
            }
        }

        @Test func otherServicesAreUsedWhenUDPHasNone() async throws {
            try await withResolver { resolver in
                let tcp = try await resolve(resolver, "sip:tcponly.test")
                #expect(tcp == [destination(.tcp, "127.0.0.6", 5090, "tcponly.test")])
                let tls = try await resolve(resolver, "sips:secure.test")
                #expect(tls == [destination(.tls, "127.0.0.5", 5061, "tls1.secure.test")])
            }
        }

        @Test func nxdomainIsUnresolvableAndNamesTheName() async throws {
            try await withResolver { resolver in
                let nowhere = try SIPURI(parsing: "sip:nowhere.pbx.test")
                do throws(SIPTransactionError) {
                    let destinations = try await resolver.resolve(nowhere)
                    Issue.record("resolved to \(destinations)")
                } catch {
                    #expect(error.code == .unresolvable)
                    #expect(error.context.contains("nowhere.pbx.test A: NXDOMAIN"), "\(error)")
                    #expect(error.context.contains("_sip._udp.nowhere.pbx.test SRV: NXDOMAIN"), "\(error)")
                }
                let closed = try SIPURI(parsing: "sips:closed.test")
                do throws(SIPTransactionError) {
                    let destinations = try await resolver.resolve(closed)
                    Issue.record("resolved to \(destinations)")
                } catch {
                    #expect(error.code == .unresolvable && error.context.contains("_sips._tcp.closed.test SRV: service decidedly not available"), "\(error)")
                }
            }
        }

        @Test func aMissingNameServerIsUnresolvableWithTheReason() async throws {
            // A port of 127.0.0.1 that was just free: nothing listens, so ICMP port unreachable.
            let probe = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
            let address = probe.localAddress!
            try await probe.close()
            let resolver = SIPResolver(dns: DNSClient(nameserver: address))
            let uri = try SIPURI(parsing: "sip:pbx.test:5060")
            do throws(SIPTransactionError) {
                _ = try await resolver.resolve(uri)
                Issue.record("resolved without a name server")
            } catch {
                #expect(error.code == .unresolvable && error.context.contains("pbx.test A: transportFailed"), "\(error)")
            }
        }

        @Test func droppingTheDnsmasqHelperWithoutStoppingItEndsTheServer() async throws {
            var dns: Dnsmasq? = try await Dnsmasq.start([.host("x.test", ipv4: "127.0.0.9")])
            var options = DNSClient.Options()
            options.timeout = .milliseconds(200)
            options.attempts = 1
            let client = DNSClient(nameserver: try SocketAddress(ipAddress: dns!.host, port: dns!.port), options: options)
            #expect(try await client.query("x.test", type: .a).addresses(.a, of: "x.test") == [DNSIPAddress(127, 0, 0, 9)])
            dns = nil
            let deadline = ContinuousClock.now + .seconds(5)
            var stillAnswering = true
            while stillAnswering, ContinuousClock.now < deadline {
                do throws(DNSError) {
                    _ = try await client.query("x.test", type: .a)
                    try? await Task.sleep(for: .milliseconds(20))
                } catch {
                    stillAnswering = false  // refused (ICMP) or, if ICMP is rate-limited, timed out
                }
            }
            #expect(!stillAnswering, "dnsmasq still answers after its Dnsmasq was released")
        }

        @Test func theDnsmasqHelperStopsItsServer() async throws {
            let dns = try await Dnsmasq.start([.host("x.test", ipv4: "127.0.0.9")])
            #expect(dns.isRunning)
            await dns.stop()
            #expect(!dns.isRunning)
            await dns.stop()
        }
    }
}
