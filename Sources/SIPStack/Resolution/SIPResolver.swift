import NIOCore
import SIPCore

/// Resolves a SIP URI (outbound proxy, presence server) to destinations in fail-over order (RFC 3263 §4,
/// without NAPTR), running a ``SIPTargetSelection`` against a ``DNSLookup``.
///
/// ```swift
/// let resolver = SIPResolver(dns: DNSCachingLookup(upstream: try DNSClient.system()))
/// for destination in try await resolver.resolve(try SIPURI(parsing: "sip:pbx.example.com")) { ... }
/// ```
///
/// Every failure is a ``SIPTransactionError`` with code ``SIPTransactionError/Code/unresolvable`` whose
/// context names the URI and each question that failed and how (e.g. `pbx.example.com A: NXDOMAIN`).
public struct SIPResolver: Sendable {
    /// Where questions go.
    public let dns: any DNSLookup
    /// Target selection choices.
    public var options: SIPTargetSelection.Options

    public init(dns: any DNSLookup, options: SIPTargetSelection.Options = SIPTargetSelection.Options()) {
        self.dns = dns
        self.options = options
    }

    /// The destinations for `uri`, first to try first; SRV weights drawn from the system generator.
    public func resolve(_ uri: SIPURI) async throws(SIPTransactionError) -> [SIPDestination] {
        var generator = SystemRandomNumberGenerator()
        return try await resolve(uri, using: &generator)
    }

    /// The destinations for `uri`, first to try first; `generator` drives the SRV weighted selection.
    public func resolve(_ uri: SIPURI, using generator: inout some RandomNumberGenerator) async throws(SIPTransactionError) -> [SIPDestination] {
        var selection = SIPTargetSelection(uri: uri, options: options)
        var action = selection.start()
        while true {
            switch action {
            case .query(let question):
                let result: Result<DNSMessage, DNSError>
                do {
                    result = .success(try await dns.query(question.name, type: question.type))
                } catch {
                    result = .failure(error)
                }
                action = selection.received(result, using: &generator)
            case .finished(let destinations):
                return destinations
            case .failed(let error):
                throw error
            }
        }
    }
}
