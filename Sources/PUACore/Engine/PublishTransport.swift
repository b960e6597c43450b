import SIPCore
import SIPStack

/// Carries a PUBLISH to the presence server and returns its final response (digest authentication, failover
/// and retransmissions included).
public protocol PublishTransport: Sendable {
    /// Sends `request` towards `nextHop` (nil: the transport's default) and returns the final response.
    func send(_ request: SIPRequest, nextHop: SIPURI?) async throws(SIPTransactionError) -> SIPResponse
}

/// ``PublishTransport`` over a ``SIPEndpoint``: resolves the next hop (RFC 3263) and runs the transaction.
public struct SIPPublishTransport: PublishTransport {
    let endpoint: SIPEndpoint
    let resolver: SIPResolver
    let defaultNextHop: SIPURI

    /// `defaultNextHop`: the outbound proxy, else the presence server.
    public init(endpoint: SIPEndpoint, resolver: SIPResolver, defaultNextHop: SIPURI) {
        self.endpoint = endpoint
        self.resolver = resolver
        self.defaultNextHop = defaultNextHop
    }

    public func send(_ request: SIPRequest, nextHop: SIPURI?) async throws(SIPTransactionError) -> SIPResponse {
        let destinations = try await resolver.resolve(nextHop ?? defaultNextHop)
        return try await endpoint.send(request, to: destinations)
    }
}
