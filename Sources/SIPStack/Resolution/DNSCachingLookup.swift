/// A ``DNSLookup`` that answers from a ``DNSCache`` and asks `upstream` on a miss.
///
/// Concurrent misses for the same question each go upstream (no coalescing). Errors are not cached.
public actor DNSCachingLookup: DNSLookup {
    private let upstream: any DNSLookup
    private let now: @Sendable () -> ContinuousClock.Instant
    private var cache: DNSCache

    /// Caches `upstream`'s responses; `now` is the clock (injected in tests).
    public init(
        upstream: any DNSLookup, cache: DNSCache = DNSCache(),
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.upstream = upstream
        self.cache = cache
        self.now = now
    }

    public func query(_ name: String, type: DNSRecordType) async throws(DNSError) -> DNSMessage {
        if let cached = cache.lookup(name, type: type, now: now()) { return cached }
        let message = try await upstream.query(name, type: type)
        cache.store(message, for: name, type: type, now: now())
        return message
    }
}
