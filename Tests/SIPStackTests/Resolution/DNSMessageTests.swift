import LamplighterTestSupport
import Testing
@testable import SIPStack

extension ResolutionTests {
    /// Pure tests of DNS message building and parsing, on hand-built bytes.
    @Suite struct DNSMessageTests {
        /// A response to `_sip._udp.pbx.test SRV` with two SRV records whose targets are compressed against the
        /// question, and the targets' addresses in the additional section, named by pointers into the SRV RDATA.
        static let srvResponse: [UInt8] = {
            var w = DNSWireWriter()
            w.header(id: 0xBEEF, flags: 0x8580, answers: 2, additionals: 2)
            #expect(w.offset == 12)
            w.labels("_sip", "_udp")
            #expect(w.offset == 22)  // "pbx.test" starts here
            w.labels("pbx", "test")
            w.end()
            w.u16(33)
            w.u16(1)
            // Answer 1: 10 60 5070 sip1.<pbx.test>
            w.pointer(12)
            w.recordFields(type: 33, ttl: 300, length: 13)
            w.u16(10); w.u16(60); w.u16(5070)
            let sip1 = w.offset
            #expect(sip1 == 54)
            w.labels("sip1")
            w.pointer(22)
            // Answer 2: 20 0 5071 sip2.<pbx.test>
            w.pointer(12)
            w.recordFields(type: 33, ttl: 300, length: 13)
            w.u16(20); w.u16(0); w.u16(5071)
            let sip2 = w.offset
            #expect(sip2 == 79)
            w.labels("sip2")
            w.pointer(22)
            // Additional: <sip1.pbx.test> A 127.0.0.1, <sip2.pbx.test> AAAA ::1 (pointer to a pointer).
            w.pointer(sip1)
            w.recordFields(type: 1, ttl: 60, length: 4)
            w.bytes += [127, 0, 0, 1]
            w.pointer(sip2)
            w.recordFields(type: 28, ttl: 60, length: 16)
            w.bytes += [UInt8](repeating: 0, count: 15) + [1]
            #expect(w.offset == 130)
            return w.bytes
        }()

        // MARK: - Queries

        @Test func buildsAStandardQuery() throws {
            let bytes = try DNSMessage.query(id: 0x1234, name: "_sip._udp.pbx.test", type: .srv)
            #expect(bytes == [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
                + [4] + Array("_sip".utf8) + [4] + Array("_udp".utf8) + [3] + Array("pbx".utf8) + [4] + Array("test".utf8) + [0]
                + [0, 33, 0, 1])
            let parsed = try DNSMessage(parsing: bytes)
            #expect(parsed.id == 0x1234 && !parsed.isResponse && parsed.recursionDesired)
            #expect(parsed.question == DNSQuestion(name: "_sip._udp.pbx.test", type: .srv))
        }

        @Test func addsAnEDNSRecordAndAcceptsATrailingDot() throws {
            let bytes = try DNSMessage.query(id: 7, name: "pbx.test.", type: .aaaa, recursionDesired: false, ednsPayloadSize: 1232)
            let parsed = try DNSMessage(parsing: bytes)
            #expect(!parsed.recursionDesired)
            #expect(parsed.question == DNSQuestion(name: "pbx.test", type: .aaaa))
            #expect(parsed.additionals == [DNSResourceRecord(name: "", type: .opt, recordClass: 1232, ttl: 0, data: .other([]))])
        }

        @Test(arguments: ["", "a..b", ".a", String(repeating: "x", count: 64) + ".test", "with space.test", "ümlaut.test", "back\\slash.test",
                          Array(repeating: String(repeating: "y", count: 50), count: 6).joined(separator: ".")])
        func refusesNamesThatCannotBeQueried(_ name: String) {
            #expect(throws: DNSError.self) { try DNSMessage.query(id: 1, name: name, type: .a) }
            do {
                _ = try DNSMessage.query(id: 1, name: name, type: .a)
            } catch {
                #expect(error.code == .invalidName)
            }
        }

        @Test func theRootAndLongestNamesAreAccepted() throws {
            _ = try DNSMessage.query(id: 1, name: ".", type: .a)
            // 4 labels of 63 octets: 4·64 + 1 = 257 > 255; 3 labels of 63 and one of 61: 255 exactly.
            let longest = [String](repeating: String(repeating: "a", count: 63), count: 3).joined(separator: ".") + "." + String(repeating: "b", count: 61)
            _ = try DNSMessage.query(id: 1, name: longest, type: .a)
            #expect(throws: DNSError.self) { try DNSMessage.query(id: 1, name: longest + "b", type: .a) }
        }

        // MARK: - Responses

        @Test func parsesSRVWithCompressionAndAdditionalAddresses() throws {
            let message = try DNSMessage(parsing: Self.srvResponse)
            #expect(message.id == 0xBEEF && message.isResponse && message.isAuthoritative && message.recursionAvailable)
            #expect(!message.isTruncated && message.responseCode == .noError)
            #expect(message.question == DNSQuestion(name: "_sip._udp.pbx.test", type: .srv))
            #expect(message.srvRecords(of: "_SIP._udp.PBX.test.") == [
                DNSSRVRecord(priority: 10, weight: 60, port: 5070, target: "sip1.pbx.test"),
                DNSSRVRecord(priority: 20, weight: 0, port: 5071, target: "sip2.pbx.test"),
            ])
            #expect(message.answers.map(\.ttl) == [300, 300])
            #expect(message.additionalAddresses(.a, of: "sip1.pbx.test") == [DNSIPAddress(127, 0, 0, 1)])
            #expect(message.additionalAddresses(.aaaa, of: "SIP2.pbx.test").map(\.description) == ["::1"])
            #expect(message.additionalAddresses(.a, of: "sip2.pbx.test") == [])
        }

        @Test func parsesWhatDnsmasqSent() throws {
            // Captured from dnsmasq 2.90: `_sip._udp.pbx.test SRV`, targets uncompressed, additionals compressed.
            let hex = "5ac385800001000200000003045f736970045f7564700370627804746573740000210001c00c00210001000000000015000a002813cf0473697032"
                + "03706278047465737400c00c00210001000000000015000a003c13ce047369703103706278047465737400c057000100010000000000047f000001"
                + "c036000100010000000000047f000002c036001c000100000000001000000000000000000000000000000001"
            let bytes = stride(from: 0, to: hex.count, by: 2).map { i -> UInt8 in
                let start = hex.index(hex.startIndex, offsetBy: i)
                return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)!
            }
            let message = try DNSMessage(parsing: bytes)
            #expect(Set(message.srvRecords(of: "_sip._udp.pbx.test")) == [
                DNSSRVRecord(priority: 10, weight: 40, port: 5071, target: "sip2.pbx.test"),
                DNSSRVRecord(priority: 10, weight: 60, port: 5070, target: "sip1.pbx.test"),
            ])
            #expect(message.additionalAddresses(.a, of: "sip1.pbx.test").map(\.description) == ["127.0.0.1"])
            #expect(message.additionalAddresses(.a, of: "sip2.pbx.test").map(\.description) == ["127.0.0.2"])
            #expect(message.additionalAddresses(.aaaa, of: "sip2.pbx.test").map(\.description) == ["::1"])
        }

        @Test func followsCNAMEChainsInTheAnswer() throws {
            var w = DNSWireWriter()
            w.header(id: 1, flags: 0x8180, answers: 3)
            w.labels("www", "pbx", "test"); w.end(); w.u16(1); w.u16(1)
            // www.pbx.test CNAME edge.<pbx.test>; edge.pbx.test CNAME host.<pbx.test>; host.pbx.test A 192.0.2.7
            w.pointer(12); w.recordFields(type: 5, ttl: 30, length: 7); let edge = w.offset; w.labels("edge"); w.pointer(16)
            w.pointer(edge); w.recordFields(type: 5, ttl: 30, length: 7); let host = w.offset; w.labels("host"); w.pointer(16)
            w.pointer(host); w.recordFields(type: 1, ttl: 30, length: 4); w.bytes += [192, 0, 2, 7]
            let message = try DNSMessage(parsing: w.bytes)
            #expect(message.addresses(.a, of: "www.pbx.test") == [DNSIPAddress(192, 0, 2, 7)])
            #expect(message.records(.a, of: "www.pbx.test").canonicalName == "host.pbx.test")
            #expect(message.addresses(.aaaa, of: "www.pbx.test") == [])
            #expect(message.records(.aaaa, of: "www.pbx.test").canonicalName == "host.pbx.test")
            #expect(message.records(.cname, of: "www.pbx.test").records.count == 1)
        }

        @Test func aCNAMELoopInsideAnAnswerEnds() throws {
            let a = DNSResourceRecord(name: "a.test", type: .cname, ttl: 1, data: .cname("b.test"))
            let b = DNSResourceRecord(name: "b.test", type: .cname, ttl: 1, data: .cname("a.test"))
            let message = DNSMessage(answers: [a, b])
            #expect(message.records(.a, of: "a.test").records.isEmpty)
        }

        @Test func readsRcodesTruncationAndTheNegativeTTL() throws {
            var w = DNSWireWriter()
            w.header(id: 9, flags: 0x8183, authorities: 1)  // NXDOMAIN
            w.labels("nx", "pbx", "test"); w.end(); w.u16(1); w.u16(1)
            // pbx.test SOA ns.pbx.test hostmaster.pbx.test 1 3600 600 86400 30, TTL 300
            w.pointer(15); w.recordFields(type: 6, ttl: 300, length: 5 + 13 + 20)
            w.labels("ns"); w.pointer(15); w.labels("hostmaster"); w.pointer(15)
            w.u32(1); w.u32(3600); w.u32(600); w.u32(86400); w.u32(30)
            let nx = try DNSMessage(parsing: w.bytes)
            #expect(nx.responseCode == .nameError && nx.responseCode.description == "NXDOMAIN")
            #expect(nx.negativeCacheTTL == 30)
            guard case .soa(let soa) = nx.authorities.first?.data else { Issue.record("no SOA"); return }
            #expect(soa.primaryServer == "ns.pbx.test" && soa.responsible == "hostmaster.pbx.test" && soa.expire == 86400)

            var servfail = w.bytes
            servfail[3] = 0x82
            #expect(try DNSMessage(parsing: servfail).responseCode == .serverFailure)
            var truncated = w.bytes
            truncated[2] |= 0x02
            #expect(try DNSMessage(parsing: truncated).isTruncated)
        }

        @Test func keepsUnknownTypesAndOtherClassesRawAndClampsNegativeTTLs() throws {
            var w = DNSWireWriter()
            w.header(id: 1, flags: 0x8180, answers: 2)
            w.labels("x", "test"); w.end(); w.u16(16); w.u16(1)
            w.pointer(12); w.recordFields(type: 16, ttl: 0x8000_0001, length: 3); w.bytes += [2, 104, 105]  // TXT "hi"
            w.pointer(12); w.u16(1); w.u16(3); w.u32(5); w.u16(2); w.bytes += [1, 2]  // A in class CHAOS: not decoded
            let message = try DNSMessage(parsing: w.bytes)
            #expect(message.answers[0] == DNSResourceRecord(name: "x.test", type: DNSRecordType(rawValue: 16), ttl: 0, data: .other([2, 104, 105])))
            #expect(message.answers[1].data == .other([1, 2]) && message.answers[1].recordClass == 3)
            #expect(message.addresses(.a, of: "x.test") == [])
            #expect(DNSRecordType(rawValue: 16).description == "TYPE16")
        }

        @Test func escapesOddLabelOctets() throws {
            var w = DNSWireWriter()
            w.header(id: 1, flags: 0x8180, questions: 1)
            w.u8(3); w.bytes += [UInt8(ascii: "a"), UInt8(ascii: "."), 0xFF]; w.end(); w.u16(1); w.u16(1)
            #expect(try DNSMessage(parsing: w.bytes).question?.name == "a\\046\\255")
        }

        // MARK: - Malformed input

        func expectMalformed(_ bytes: [UInt8], _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
            do {
                let message = try DNSMessage(parsing: bytes)
                Issue.record("parsed \(message)", sourceLocation: sourceLocation)
            } catch {
                #expect(error.code == .malformed, comment, sourceLocation: sourceLocation)
            }
        }

        @Test func everyTruncationIsMalformed() {
            for length in 0..<Self.srvResponse.count {
                expectMalformed(Array(Self.srvResponse.prefix(length)), "prefix of \(length) octets")
            }
        }

        @Test func compressionPointersMustPointBackwards() {
            func message(name: (inout DNSWireWriter) -> Void) -> [UInt8] {
                var w = DNSWireWriter()
                w.header(id: 1, flags: 0x8180)
                name(&w)
                w.u16(1); w.u16(1)
                return w.bytes
            }
            expectMalformed(message { $0.pointer(12) }, "pointer to itself")
            expectMalformed(message { $0.labels("a"); $0.pointer(12) }, "pointer to the start of its own name")
            expectMalformed(message { $0.pointer(14); $0.labels("a"); $0.end() }, "forward pointer")
            expectMalformed(message { $0.u8(0x80); $0.u8(0) }, "reserved label type 10")
            expectMalformed(message { $0.u8(0x40); $0.u8(0) }, "extended label type 01")

            // Each pointer points before itself, yet they loop: 12 is a label holding the bytes of a pointer to 12,
            // and 15 points at that inner pointer (13). Pointers must point before the labels that led to them.
            expectMalformed(message { $0.bytes += [0x02, 0xC0, 0x0C, 0xC0, 0x0D] }, "loop through a pointer hidden in a label")
        }

        @Test func aPointerChainThatOnlyMovesBackwardsIsFine() throws {
            var w = DNSWireWriter()
            w.header(id: 1, flags: 0x8180, questions: 3)
            w.labels("test"); w.end(); w.u16(1); w.u16(1)  // 12: test
            let pbx = w.offset
            w.labels("pbx"); w.pointer(12); w.u16(1); w.u16(1)  // pbx.<12>
            w.labels("sip"); w.pointer(pbx); w.u16(1); w.u16(1)  // sip.<pbx>
            #expect(try DNSMessage(parsing: w.bytes).questions.map(\.name) == ["test", "pbx.test", "sip.pbx.test"])
        }

        @Test func namesLongerThan255OctetsAreMalformed() {
            var w = DNSWireWriter()
            w.header(id: 1, flags: 0x8180)
            for _ in 0..<4 { w.labels(String(repeating: "z", count: 63)) }
            w.end(); w.u16(1); w.u16(1)
            expectMalformed(w.bytes)
        }

        @Test func recordLengthsMustMatchTheirData() {
            func answer(type: UInt16, length: UInt16, data: [UInt8]) -> [UInt8] {
                var w = DNSWireWriter()
                w.header(id: 1, flags: 0x8180, questions: 0, answers: 1)
                w.labels("x"); w.end(); w.recordFields(type: type, ttl: 1, length: length)
                return w.bytes + data
            }
            expectMalformed(answer(type: 1, length: 5, data: [1, 2, 3, 4, 5]), "A with 5 octets")
            expectMalformed(answer(type: 28, length: 4, data: [1, 2, 3, 4]), "AAAA with 4 octets")
            expectMalformed(answer(type: 1, length: 4, data: [1, 2, 3]), "RDATA past the end")
            expectMalformed(answer(type: 33, length: 5, data: [0, 1, 0, 1, 0]), "SRV shorter than its fixed fields")
            expectMalformed(answer(type: 33, length: 10, data: [0, 1, 0, 1, 0, 5, 1, 0x61, 0, 0xFF]), "SRV target ends before RDLENGTH")
            expectMalformed(answer(type: 33, length: 8, data: [0, 1, 0, 1, 0, 5, 1, 0x61, 0]), "SRV target runs past RDLENGTH")
            expectMalformed(answer(type: 5, length: 1, data: [1, 0x61, 0]), "CNAME past RDLENGTH")
            expectMalformed(answer(type: 6, length: 2, data: [0, 0]), "SOA without its counters")
        }

        @Test func impossibleCountsAreRefusedUpFront() {
            var w = DNSWireWriter()
            w.header(id: 1, flags: 0x8180, questions: 0xFFFF, answers: 0xFFFF, authorities: 0xFFFF, additionals: 0xFFFF)
            expectMalformed(w.bytes)
            var many = DNSWireWriter()
            many.header(id: 1, flags: 0x8180, questions: 0, answers: 2000)
            expectMalformed(many.bytes + [UInt8](repeating: 0, count: 2000 * 11))
            expectMalformed([UInt8](repeating: 0, count: DNSMessage.maximumSize + 1))
        }

        @Test func randomBytesNeverCrash() {
            var random = SplitMix64(seed: 0x1a3b_5c7d)
            var parsed = 0
            for _ in 0..<20_000 {
                let length = Int(random.next() % 160)
                var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                // Mostly sane counts, so that parsing gets past the header.
                if length >= 12 {
                for index in [4, 6, 8, 10] {
                    bytes[index] = 0
                    bytes[index + 1] = UInt8(random.next() % 2)
                }
            }
                do {
                    _ = try DNSMessage(parsing: bytes)
                    parsed += 1
                } catch {
                    #expect(error.code == .malformed)
                }
            }
            #expect(parsed > 0)
        }

        @Test func mutatedResponsesNeverCrash() {
            var random = SplitMix64(seed: 3263)
            for _ in 0..<20_000 {
                var bytes = Self.srvResponse
                for _ in 0...(random.next() % 4) {
                    bytes[Int(random.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random.next())
                }
                if random.next() % 4 == 0 { bytes.removeLast(Int(random.next() % 20)) }
                do {
                    let message = try DNSMessage(parsing: bytes)
                    _ = message.srvRecords(of: "_sip._udp.pbx.test")
                    _ = message.addresses(.a, of: "sip1.pbx.test")
                } catch {
                    #expect(error.code == .malformed)
                }
            }
        }

        // MARK: - Values

        @Test(arguments: [
            ([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], "2001:db8::1"),
            ([UInt8](repeating: 0, count: 15) + [1], "::1"),
            ([UInt8](repeating: 0, count: 16), "::"),
            ([0, 1] + [UInt8](repeating: 0, count: 14), "1::"),
            ([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1], "2001:db8:0:1:1:1:1:1"),
            ([0x20, 0x01, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1], "2001:0:0:1::1"),
            ([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0xab, 0xcd, 0, 0, 0, 0, 0, 0], "fe80::abcd:0:0:0"),
        ])
        func formatsIPv6AddressesPerRFC5952(_ bytes: [UInt8], _ text: String) throws {
            let address = try #require(DNSIPAddress(bytes: bytes))
            #expect(address.description == text)
            #expect(address.socketAddress(port: 5060).ipAddress == text)
        }

        @Test func addressesHaveFourOrSixteenOctets() {
            #expect(DNSIPAddress(bytes: [1, 2, 3]) == nil)
            #expect(DNSIPAddress(192, 0, 2, 1).socketAddress(port: 5070).description.contains("192.0.2.1"))
        }
    }
}
