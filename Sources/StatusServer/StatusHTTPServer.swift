import Hummingbird
import Logging

/// The HTTP side of the status endpoint: `GET /status` (JSON), `GET /healthz` and `GET /readyz` (200 when
/// every component is ready, else 503 naming the others and their state, e.g. `store degraded`).
public enum StatusHTTPServer {
    /// The routes, separate from the listener so tests drive them without a socket.
    public static func router(board: StatusBoard) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/status") { _, _ -> StatusBoard.Report in
            await board.report()
        }
        let readiness: @Sendable (Request, BasicRequestContext) async -> Response = { _, _ in
            let report = await board.report()
            let body = report.ready ? "ready\n" : "not ready: "
                + report.components.filter { !$0.state.isReady }.map { "\($0.name) \($0.state.name)" }.joined(separator: ", ") + "\n"
            return Response(
                status: report.ready ? .ok : .serviceUnavailable,
                headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        router.get("/healthz", use: readiness)
        router.get("/readyz", use: readiness)
        return router
    }

    /// A Hummingbird application (a swift-service-lifecycle `Service`) listening on `host:port`.
    public static func application(
        board: StatusBoard, host: String, port: Int, logger: Logger
    ) -> some ApplicationProtocol {
        Application(
            router: router(board: board),
            configuration: .init(address: .hostname(host, port: port), serverName: "Lamplighter"),
            logger: logger)
    }
}

extension StatusBoard.Report: ResponseEncodable {}
