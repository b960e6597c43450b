import NIOCore
import SIPCore
import Testing
@testable import SIPStack

extension ResolutionTests {
    /// RFC 3263 target selection, driven by hand with answers from a table: no I/O.
    @Suite struct SIPTargetSelectionTests {
        typealias Table = [String: Result<DNSMessage, DNSError>]

        // MARK: - Answers

        static func srv(_ name: String, _ records: [DNSSRVRecord], additional: [DNSResourceRecord] = []) -> (String, Result<DNSMessage, DNSError>) {
            ("\(name) SRV", .success(DNSMessage(
                questions: [DNSQuestion(name: name, type: .srv)],
                answers: records.map { DNSResourceRecord(name: name, type: .srv, ttl: 60, data: .srv($0)) },
                additionals: additional)))
        }

        static func address(_ name: String, _ addresses: String...) -> DNSResourceRecord {
            address(name, addresses)[0]
        }

        static func address(_ name: String, _ addresses: [String]) -> [DNSResourceRecord] {
            addresses.map { text in
                let address = try! SocketAddress(ipAddress: text, port: 0)
                let bytes: [UInt8] = switch address {
                case .v4(let v4): withUnsafeBytes(of: v4.address.sin_addr) { Array($0) }
                case .v6(let v6): withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
                default: []
                }
                return DNSResourceRecord(name: name, type: bytes.count == 4 ? .a : .aaaa, ttl: 60, data: .address(DNSIPAddress(bytes: bytes)!))
            }
        }

        static func hosts(_ name: String, _ type: DNSRecordType, _ addresses: String...) -> (String, Result<DNSMessage, DNSError>) {
            ("\(name) \(type)", .success(DNSMessage(questions: [DNSQuestion(name: name, type: type)], answers: address(name, addresses))))
        }

        static func rcode(_ name: String, _ type: DNSRecordType, _ code: DNSResponseCode) -> (String, Result<DNSMessage, DNSError>) {
            ("\(name) \(type)", .success(DNSMessage(responseCode: code, questions: [DNSQuestion(name: name, type: type)])))
        }

        static func noData(_ name: String, _ type: DNSRecordType) -> (String, Result<DNSMessage, DNSError>) {
            rcode(name, type, .noError)
        }

        static func record(_ priority: UInt16, _ weight: UInt16, _ port: UInt16, _ target: String) -> DNSSRVRecord {
            DNSSRVRecord(priority: priority, weight: weight, port: port, target: target)
        }

        /// Runs a selection against `table` (missing questions get NXDOMAIN); returns the outcome and the questions asked.
        func run(
            _ uri: String, _ entries: [(String, Result<DNSMessage, DNSError>)], options: SIPTargetSelection.Options = .init(),
            random: [UInt64] = []
        ) throws -> (action: SIPTargetSelection.Action, asked: [String]) {
            let table = Table(entries, uniquingKeysWith: { first, _ in first })
            var generator = ScriptedRandom(random)
            var selection = SIPTargetSelection(uri: try SIPURI(parsing: uri), options: options)
            var action = selection.start()
            var asked: [String] = []
            while case .query(let question) = action {
                let key = "\(question.name) \(question.type)"
                asked.append(key)
                #expect(asked.count < 100, "runaway selection")
                let answer = table[key] ?? .success(DNSMessage(responseCode: .nameError, questions: [question]))
                action = selection.received(answer, using: &generator)
            }
            return (action, asked)
        }

        func destination(_ transport: SIPTransportKind, _ ip: String, _ port: Int, _ serverName: String?) -> SIPDestination {
            SIPDestination(transport: transport, address: try! SocketAddress(ipAddress: ip, port: port), serverName: serverName)
        }

        func finished(_ action: SIPTargetSelection.Action, sourceLocation: SourceLocation = #_sourceLocation) -> [SIPDestination] {
            guard case .finished(let destinations) = action else {
                Issue.record("expected destinations, got \(action)", sourceLocation: sourceLocation)
                return []
            }
            return destinations
        }

        func failure(_ action: SIPTargetSelection.Action, sourceLocation: SourceLocation = #_sourceLocation) -> SIPTransactionError? {
            guard case .failed(let error) = action else {
                Issue.record("expected a failure, got \(action)", sourceLocation: sourceLocation)
                return nil
            }
            #expect(error.code == .unresolvable, sourceLocation: sourceLocation)
            return error
        }

        // MARK: - Plans (§4.1 transport, §4.2 port)

        @Test(arguments: [
            ("sip:pbx.test", SIPTargetSelection.Plan.srv(host: "pbx.test", services: [.udp, .tcp, .tls], fallback: .udp)),
            ("sip:PBX.test.", .srv(host: "PBX.test", services: [.udp, .tcp, .tls], fallback: .udp)),
            ("sips:pbx.test", .srv(host: "pbx.test", services: [.tls], fallback: .tls)),
            ("sip:pbx.test;transport=tcp", .srv(host: "pbx.test", services: [.tcp], fallback: .tcp)),
            ("sip:pbx.test;transport=UDP", .srv(host: "pbx.test", services: [.udp], fallback: .udp)),
            ("sip:pbx.test;transport=tls", .srv(host: "pbx.test", services: [.tls], fallback: .tls)),
            ("sips:pbx.test;transport=tcp", .srv(host: "pbx.test", services: [.tls], fallback: .tls)),
            ("sip:alice@pbx.test:5080", .addresses(host: "pbx.test", port: 5080, transport: .udp)),
            ("sips:pbx.test:5081", .addresses(host: "pbx.test", port: 5081, transport: .tls)),
            ("sip:pbx.test:5080;transport=tcp", .addresses(host: "pbx.test", port: 5080, transport: .tcp)),
            ("sip:pbx.test;maddr=proxy.test", .srv(host: "proxy.test", services: [.udp, .tcp, .tls], fallback: .udp)),
        ])
        func plansFromTheURIAlone(_ uri: String, _ plan: SIPTargetSelection.Plan) throws {
            #expect(try SIPTargetSelection.plan(for: try SIPURI(parsing: uri)) == plan)
        }

        @Test(arguments: [
            ("sip:192.0.2.1", SIPTransportKind.udp, "192.0.2.1", 5060),
            ("sips:192.0.2.1", .tls, "192.0.2.1", 5061),
            ("sip:192.0.2.1:5070;transport=tcp", .tcp, "192.0.2.1", 5070),
            ("sip:[2001:db8::1]", .udp, "2001:db8::1", 5060),
            ("sip:[2001:db8::1]:5071;transport=tls", .tls, "2001:db8::1", 5071),
            ("sip:pbx.test;maddr=192.0.2.9", .udp, "192.0.2.9", 5060),
        ])
        func ipLiteralsNeedNoDNS(_ uri: String, _ transport: SIPTransportKind, _ ip: String, _ port: Int) throws {
            let (action, asked) = try run(uri, [])
            #expect(asked.isEmpty)
            #expect(finished(action) == [destination(transport, ip, port, ip)])
        }

        @Test(arguments: ["tel:+15551234", "sips:pbx.test;transport=udp", "sip:pbx.test;transport=sctp", "sip:pbx.test;transport=ws"])
        func urisThatCannotBeResolved(_ uri: String) throws {
            let (action, asked) = try run(uri, [])
            #expect(asked.isEmpty)
            #expect(failure(action)?.context.contains(uri.split(separator: ";")[0]) == true)
        }

        // MARK: - SRV

        @Test func srvTargetsInPriorityOrderWithAddressesFromTheAdditionalSection() throws {
            let (action, asked) = try run("sip:pbx.test", [
                Self.srv("_sip._udp.pbx.test", [Self.record(20, 0, 5072, "backup.pbx.test"), Self.record(10, 0, 5070, "main.pbx.test")],
                         additional: [Self.address("main.pbx.test", "192.0.2.10"), Self.address("backup.pbx.test", "192.0.2.20"),
                                      Self.address("main.pbx.test", "2001:db8::10")]),
            ])
            #expect(asked == ["_sip._udp.pbx.test SRV"])
            #expect(finished(action) == [
                destination(.udp, "192.0.2.10", 5070, "pbx.test"),
                destination(.udp, "2001:db8::10", 5070, "pbx.test"),
                destination(.udp, "192.0.2.20", 5072, "pbx.test"),
            ])
        }

        @Test func srvTargetsWithoutAdditionalsAreLookedUpAAndThenAAAA() throws {
            let (action, asked) = try run("sip:pbx.test", [
                Self.srv("_sip._udp.pbx.test", [Self.record(10, 0, 5070, "a.pbx.test"), Self.record(20, 0, 5071, "b.pbx.test")]),
                Self.hosts("a.pbx.test", .a, "192.0.2.1", "192.0.2.2"),
                Self.hosts("a.pbx.test", .aaaa, "2001:db8::1"),
                Self.hosts("b.pbx.test", .a, "192.0.2.3"),
                Self.noData("b.pbx.test", .aaaa),
            ])
            #expect(asked == ["_sip._udp.pbx.test SRV", "a.pbx.test A", "a.pbx.test AAAA", "b.pbx.test A", "b.pbx.test AAAA"])
            #expect(finished(action) == [
                destination(.udp, "192.0.2.1", 5070, "pbx.test"),
                destination(.udp, "192.0.2.2", 5070, "pbx.test"),
                destination(.udp, "2001:db8::1", 5070, "pbx.test"),
                destination(.udp, "192.0.2.3", 5071, "pbx.test"),
            ])
        }

        @Test func weightsOrderTargetsOfOnePriorityWithTheInjectedRandom() throws {
            let entries = [
                Self.srv("_sip._udp.pbx.test", [Self.record(10, 60, 5070, "a.pbx.test"), Self.record(10, 40, 5071, "b.pbx.test")],
                         additional: [Self.address("a.pbx.test", "192.0.2.1"), Self.address("b.pbx.test", "192.0.2.2")]),
            ]
            #expect(finished(try run("sip:pbx.test", entries, random: [60]).action).map(\.address.port) == [5070, 5071])
            #expect(finished(try run("sip:pbx.test", entries, random: [61]).action).map(\.address.port) == [5071, 5070])
        }

        @Test func thePreferredServiceWithRecordsWinsAlone() throws {
            let (action, asked) = try run("sip:pbx.test", [
                Self.rcode("_sip._udp.pbx.test", .srv, .nameError),
                Self.srv("_sip._tcp.pbx.test", [Self.record(0, 0, 5060, "tcp.pbx.test")], additional: [Self.address("tcp.pbx.test", "192.0.2.5")]),
                Self.srv("_sips._tcp.pbx.test", [Self.record(0, 0, 5061, "tls.pbx.test")], additional: [Self.address("tls.pbx.test", "192.0.2.6")]),
            ])
            #expect(asked == ["_sip._udp.pbx.test SRV", "_sip._tcp.pbx.test SRV"])
            #expect(finished(action) == [destination(.tcp, "192.0.2.5", 5060, "pbx.test")])
        }

        @Test func srvProbingOrderFollowsTheOption() throws {
            var options = SIPTargetSelection.Options()
            options.srvTransports = [.tls, .udp]
            let (action, asked) = try run("sip:pbx.test", [
                Self.srv("_sip._udp.pbx.test", [Self.record(0, 0, 5060, "udp.pbx.test")], additional: [Self.address("udp.pbx.test", "192.0.2.5")]),
            ], options: options)
            #expect(asked == ["_sips._tcp.pbx.test SRV", "_sip._udp.pbx.test SRV"])
            #expect(finished(action) == [destination(.udp, "192.0.2.5", 5060, "pbx.test")])
        }

        @Test func tlsDestinationsFromSRVCarryTheTargetAsServerName() throws {
            let entries = [
                Self.srv("_sips._tcp.pbx.test", [Self.record(0, 0, 5061, "edge.pbx.test")], additional: [Self.address("edge.pbx.test", "192.0.2.7")]),
            ]
            let (action, asked) = try run("sips:pbx.test", entries)
            #expect(asked == ["_sips._tcp.pbx.test SRV"])
            #expect(finished(action) == [destination(.tls, "192.0.2.7", 5061, "edge.pbx.test")])

            var options = SIPTargetSelection.Options()
            options.tlsServerNameFromSRVTarget = false
            #expect(finished(try run("sips:pbx.test", entries, options: options).action) == [destination(.tls, "192.0.2.7", 5061, "pbx.test")])
        }

        @Test func aServiceDecidedlyNotAvailableStopsTheFallback() throws {
            let (action, asked) = try run("sips:pbx.test", [
                Self.srv("_sips._tcp.pbx.test", [Self.record(0, 0, 0, "")]),
                Self.hosts("pbx.test", .a, "192.0.2.1"),
            ])
            #expect(asked == ["_sips._tcp.pbx.test SRV"])
            #expect(failure(action)?.context.contains("decidedly not available") == true)
        }

        @Test func aTargetThatDoesNotResolveIsSkipped() throws {
            let (action, asked) = try run("sip:pbx.test;transport=tcp", [
                Self.srv("_sip._tcp.pbx.test", [Self.record(1, 0, 5060, "gone.pbx.test"), Self.record(2, 0, 5060, "ok.pbx.test")]),
                Self.hosts("ok.pbx.test", .a, "192.0.2.8"),
            ])
            // NXDOMAIN for A: AAAA of the same name is not asked.
            #expect(asked == ["_sip._tcp.pbx.test SRV", "gone.pbx.test A", "ok.pbx.test A", "ok.pbx.test AAAA"])
            #expect(finished(action) == [destination(.tcp, "192.0.2.8", 5060, "pbx.test")])
        }

        @Test func duplicateAddressesAreKeptOnceAndTheListIsBounded() throws {
            var options = SIPTargetSelection.Options()
            options.maximumDestinations = 2
            let additional = [Self.address("a.pbx.test", "192.0.2.1"), Self.address("b.pbx.test", "192.0.2.1"), Self.address("c.pbx.test", "192.0.2.3"),
                              Self.address("d.pbx.test", "192.0.2.4")]
            let records = [Self.record(1, 0, 5060, "a.pbx.test"), Self.record(2, 0, 5060, "b.pbx.test"), Self.record(3, 0, 5060, "c.pbx.test"),
                           Self.record(4, 0, 5060, "d.pbx.test")]
            let (action, _) = try run("sip:pbx.test", [Self.srv("_sip._udp.pbx.test", records, additional: additional)], options: options)
            #expect(finished(action) == [destination(.udp, "192.0.2.1", 5060, "pbx.test"), destination(.udp, "192.0.2.3", 5060, "pbx.test")])
        }

        // MARK: - Fallbacks

        @Test func withoutSRVRecordsTheHostsAddressesGetTheDefaultPort() throws {
            let (action, asked) = try run("sip:pbx.test", [
                Self.noData("_sip._udp.pbx.test", .srv),
                Self.hosts("pbx.test", .a, "192.0.2.1"),
                Self.hosts("pbx.test", .aaaa, "2001:db8::1"),
            ])
            #expect(asked == ["_sip._udp.pbx.test SRV", "_sip._tcp.pbx.test SRV", "_sips._tcp.pbx.test SRV", "pbx.test A", "pbx.test AAAA"])
            #expect(finished(action) == [destination(.udp, "192.0.2.1", 5060, "pbx.test"), destination(.udp, "2001:db8::1", 5060, "pbx.test")])
        }

        @Test func sipsWithoutSRVFallsBackToTLSOn5061() throws {
            let (action, asked) = try run("sips:pbx.test", [Self.hosts("pbx.test", .a, "192.0.2.1")])
            #expect(asked == ["_sips._tcp.pbx.test SRV", "pbx.test A", "pbx.test AAAA"])
            #expect(finished(action) == [destination(.tls, "192.0.2.1", 5061, "pbx.test")])
        }

        @Test func anExplicitPortSkipsSRVAndSurvivesAFailedAAAA() throws {
            let (action, asked) = try run("sip:pbx.test:5080", [
                Self.hosts("pbx.test", .a, "192.0.2.1"),
                Self.rcode("pbx.test", .aaaa, .serverFailure),
            ])
            #expect(asked == ["pbx.test A", "pbx.test AAAA"])
            #expect(finished(action) == [destination(.udp, "192.0.2.1", 5080, "pbx.test")])
        }

        @Test func failedSRVQueriesMoveOnToTheNextService() throws {
            let (action, asked) = try run("sip:pbx.test", [
                ("_sip._udp.pbx.test SRV", .failure(DNSError(code: .timeout, context: "_sip._udp.pbx.test SRV from 127.0.0.1: no response"))),
                Self.rcode("_sip._tcp.pbx.test", .srv, .serverFailure),
                Self.srv("_sips._tcp.pbx.test", [Self.record(0, 0, 5061, "tls.pbx.test")], additional: [Self.address("tls.pbx.test", "192.0.2.6")]),
            ])
            #expect(asked == ["_sip._udp.pbx.test SRV", "_sip._tcp.pbx.test SRV", "_sips._tcp.pbx.test SRV"])
            #expect(finished(action) == [destination(.tls, "192.0.2.6", 5061, "tls.pbx.test")])
        }

        @Test func aNameThatDoesNotExistIsUnresolvableAndNamed() throws {
            let (action, asked) = try run("sip:nowhere.test", [])
            #expect(asked == ["_sip._udp.nowhere.test SRV", "_sip._tcp.nowhere.test SRV", "_sips._tcp.nowhere.test SRV", "nowhere.test A"])
            let error = try #require(failure(action))
            #expect(error.context.contains("sip:nowhere.test"))
            #expect(error.context.contains("nowhere.test A: NXDOMAIN"))
            #expect(error.context.contains("_sip._udp.nowhere.test SRV: NXDOMAIN"))
        }

        @Test func transportErrorsAreReportedInTheContext() throws {
            let timeout = DNSError(code: .timeout, context: "pbx.test A from 127.0.0.1:53: no response")
            let (action, _) = try run("sip:pbx.test:5060", [("pbx.test A", .failure(timeout)), Self.noData("pbx.test", .aaaa)])
            let error = try #require(failure(action))
            #expect(error.context.contains("pbx.test A: timeout"))
            #expect(error.context.contains("pbx.test AAAA: no records"))
        }

        @Test func anAliasWithoutItsDataIsQueriedAgain() throws {
            let alias = DNSResourceRecord(name: "pbx.test", type: .cname, ttl: 60, data: .cname("real.pbx.test"))
            let (action, asked) = try run("sip:pbx.test:5070", [
                ("pbx.test A", .success(DNSMessage(questions: [DNSQuestion(name: "pbx.test", type: .a)], answers: [alias]))),
                Self.hosts("real.pbx.test", .a, "192.0.2.9"),
                Self.noData("pbx.test", .aaaa),
            ])
            #expect(asked == ["pbx.test A", "real.pbx.test A", "pbx.test AAAA"])
            #expect(finished(action) == [destination(.udp, "192.0.2.9", 5070, "pbx.test")])
        }

        @Test func theNumberOfQueriesIsBounded() throws {
            var options = SIPTargetSelection.Options()
            options.maximumQueries = 2
            let (action, asked) = try run("sip:pbx.test", [], options: options)
            #expect(asked.count == 2)
            #expect(failure(action)?.context.contains("stopped after 2 queries") == true)
        }

        @Test func onlyIPv4WhenConfigured() throws {
            var options = SIPTargetSelection.Options()
            options.addressTypes = [.a]
            let (action, asked) = try run("sip:pbx.test:5060", [Self.hosts("pbx.test", .a, "192.0.2.1")], options: options)
            #expect(asked == ["pbx.test A"])
            #expect(finished(action).count == 1)
        }
    }
}
