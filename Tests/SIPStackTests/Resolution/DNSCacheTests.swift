import Testing
@testable import SIPStack

extension ResolutionTests {
    /// TTL caching with injected time.
    @Suite struct DNSCacheTests {
        let t0 = ContinuousClock.now

        func answer(_ name: String, ttl: UInt32, additionalTTL: UInt32? = nil) -> DNSMessage {
            DNSMessage(
                questions: [DNSQuestion(name: name, type: .a)],
                answers: [DNSResourceRecord(name: name, type: .a, ttl: ttl, data: .address(DNSIPAddress(192, 0, 2, 1)))],
                additionals: additionalTTL.map { [DNSResourceRecord(name: "x", type: .a, ttl: $0, data: .address(DNSIPAddress(192, 0, 2, 2)))] } ?? [])
        }

        func negative(_ code: DNSResponseCode, soaTTL: UInt32?, minimum: UInt32 = 30) -> DNSMessage {
            let soa = DNSSOARecord(primaryServer: "ns.test", responsible: "h.test", serial: 1, refresh: 1, retry: 1, expire: 1, minimum: minimum)
            return DNSMessage(responseCode: code, authorities: soaTTL.map { [DNSResourceRecord(name: "test", type: .soa, ttl: $0, data: .soa(soa))] } ?? [])
        }

        @Test func answersLiveForTheirSmallestTTL() {
            var cache = DNSCache()
            cache.store(answer("pbx.test", ttl: 60, additionalTTL: 20), for: "pbx.test", type: .a, now: t0)
            #expect(cache.lookup("PBX.test.", type: .a, now: t0 + .seconds(19)) != nil)
            #expect(cache.lookup("pbx.test", type: .aaaa, now: t0 + .seconds(1)) == nil)
            #expect(cache.lookup("pbx.test", type: .a, now: t0 + .seconds(20)) == nil)
        }

        @Test func negativeAnswersLiveForTheSOAMinimumAndNeedAnSOA() {
            #expect(DNSCache.lifetime(of: negative(.nameError, soaTTL: 300, minimum: 30)) == 30)
            #expect(DNSCache.lifetime(of: negative(.nameError, soaTTL: 10, minimum: 30)) == 10)
            #expect(DNSCache.lifetime(of: negative(.noError, soaTTL: 300, minimum: 45)) == 45, "NODATA")
            #expect(DNSCache.lifetime(of: negative(.nameError, soaTTL: nil)) == nil)
            #expect(DNSCache.lifetime(of: negative(.serverFailure, soaTTL: 300)) == nil)
            #expect(DNSCache.lifetime(of: negative(.refused, soaTTL: 300)) == nil)
        }

        @Test func zeroTTLsAreNotKeptAndLongOnesAreCapped() {
            var cache = DNSCache(maximumTTL: .seconds(100))
            cache.store(answer("zero.test", ttl: 0), for: "zero.test", type: .a, now: t0)
            #expect(cache.count == 0)
            cache.store(answer("long.test", ttl: 86400), for: "long.test", type: .a, now: t0)
            #expect(cache.lookup("long.test", type: .a, now: t0 + .seconds(99)) != nil)
            #expect(cache.lookup("long.test", type: .a, now: t0 + .seconds(100)) == nil)
        }

        @Test func aFullCacheEvictsExpiredThenSoonestEntries() {
            var cache = DNSCache(maximumEntries: 2)
            cache.store(answer("a.test", ttl: 10), for: "a.test", type: .a, now: t0)
            cache.store(answer("b.test", ttl: 100), for: "b.test", type: .a, now: t0)
            cache.store(answer("c.test", ttl: 100), for: "c.test", type: .a, now: t0 + .seconds(1))
            #expect(cache.count == 2)
            #expect(cache.lookup("a.test", type: .a, now: t0 + .seconds(2)) == nil)
            #expect(cache.lookup("b.test", type: .a, now: t0 + .seconds(2)) != nil)
            cache.store(answer("d.test", ttl: 100), for: "d.test", type: .a, now: t0 + .seconds(20))
            #expect(cache.count == 2)
            #expect(cache.lookup("b.test", type: .a, now: t0 + .seconds(20)) == nil, "b expires before c")
            #expect(cache.lookup("c.test", type: .a, now: t0 + .seconds(20)) != nil)
        }

        @Test func theCachingLookupAsksUpstreamOncePerTTL() async throws {
            let upstream = FakeDNS(["pbx.test A": .success(answer("pbx.test", ttl: 30))])
            let clock = ManualClock(t0)
            let lookup = DNSCachingLookup(upstream: upstream, now: { clock.now })
            _ = try await lookup.query("pbx.test", type: .a)
            clock.advance(.seconds(29))
            _ = try await lookup.query("pbx.test", type: .a)
            #expect(upstream.questions.count == 1)
            clock.advance(.seconds(1))
            _ = try await lookup.query("pbx.test", type: .a)
            #expect(upstream.questions.count == 2)
            // NXDOMAIN without an SOA is asked every time.
            _ = try await lookup.query("nx.test", type: .a)
            _ = try await lookup.query("nx.test", type: .a)
            #expect(upstream.questions.count == 4)
        }
    }
}
