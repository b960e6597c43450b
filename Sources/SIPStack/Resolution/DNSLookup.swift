/// Something that answers DNS questions: ``DNSClient`` on the network, ``DNSCachingLookup`` in front of
/// it, or a fake in tests.
public protocol DNSLookup: Sendable {
    /// The response to a query for `name` and `type` (class IN), whatever its RCODE.
    func query(_ name: String, type: DNSRecordType) async throws(DNSError) -> DNSMessage
}
