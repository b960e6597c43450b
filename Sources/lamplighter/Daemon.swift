import Feeds
import LamplighterConfig
import Logging
import NIOCore
import PUAStore
import SIPCore
import SIPStack
import ServiceLifecycle
import StatusServer

/// Wires the components together and runs them as services of one `ServiceGroup`.
struct Daemon {
    let configuration: LamplighterConfiguration
    let logger: Logger

    func run() async throws {
        let board = StatusBoard(version: LamplighterVersion.current)
        guard let listen = configuration.sip.listen.first(where: { $0.transport == .udp }) else {
            throw DaemonError(message: "sip.listen has no udp: address; this build sends over UDP")
        }
        var sipOptions = SIPEndpoint.Options()
        sipOptions.userAgent = configuration.sip.userAgent
        let endpoint = try await SIPEndpoint.bind(
            host: listen.address.host, port: listen.address.port, options: sipOptions, logger: logger)
        logger.info("SIP listening", metadata: ["address": "udp:\(endpoint.localAddress)"])
        for other in configuration.sip.listen where other.transport != .udp {
            logger.warning("listen address not opened: only UDP is served by this build", metadata: ["address": "\(other)"])
        }

        let status = StatusHTTPServer.application(
            board: board, host: configuration.status.listen.host, port: configuration.status.listen.port,
            logger: Logger(label: "lamplighter.status"))
        let monitor = DependencyMonitor(configuration: configuration, board: board, endpoint: endpoint, logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: status), .init(service: monitor)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
        await endpoint.close()
        logger.info("stopped")
    }
}

/// A fault that stops the daemon from starting.
struct DaemonError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
