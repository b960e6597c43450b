import Logging
import NIOCore
import NIOPosix

extension SIPStreamTransport: SIPEndpoint.StreamSender {}

extension SIPEndpoint {
    /// Adds a TCP or TLS transport that feeds this endpoint, listening on `listen` when given (else outbound
    /// only: replies come back over the connection the request went out on).
    @discardableResult
    public func enableStreamTransport(
        _ kind: SIPTransportKind, options: SIPStreamTransport.Options, listen: (host: String, port: Int)? = nil,
        group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger
    ) async throws -> SIPStreamTransport {
        let transport = SIPStreamTransport(kind: kind, options: options, group: group, logger: logger) { [weak self] message, source in
            self?.streamMessageReceived(message, from: source)
        }
        var address = localAddress
        if let listen {
            address = try await transport.listen(host: listen.host, port: listen.port)
        }
        await addStreamTransport(transport, kind: kind, localAddress: address)
        return transport
    }
}
