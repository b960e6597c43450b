import SIPCore
import SIPStack

/// Carries a PUBLISH to the presence server and returns its final response (digest authentication, failover
/// and retransmissions included).
public protocol PublishTransport: Sendable {
    /// Sends `request` towards `nextHop` (nil: the transport's default) and returns the final response.
    func send(_ request: SIPRequest, nextHop: SIPURI?) async throws(SIPTransactionError) -> SIPResponse
}

extension PublishTransport {
    /// ``send(_:nextHop:)`` with its failure as a value, for a detached task handing the outcome back to an actor.
    func outcome(of request: SIPRequest, nextHop: SIPURI?) async -> Result<SIPResponse, SIPTransactionError> {
        do throws(SIPTransactionError) {
            return .success(try await send(request, nextHop: nextHop))
        } catch {
            return .failure(error)
        }
    }
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
