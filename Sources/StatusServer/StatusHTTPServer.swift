import Foundation
import Hummingbird
import Logging
import PUACore
import SIPCore
import ServiceLifecycle

/// The HTTP side of the status endpoint and the admin API:
/// - `GET /healthz`: liveness, 200 while the process serves requests;
/// - `GET /readyz`: 200 when every component is ready, else 503 with a JSON list of those that are not;
/// - `GET /status`: JSON (``StatusDocument``);
/// - `GET /publications?aor=&event=&state=&offset=&limit=` and `GET /publications/{id}`;
/// - `GET /metrics`: Prometheus text format;
/// - `GET /subscriptions?resource=&event=&state=&offset=&limit=` and `GET /subscriptions/{id}`;
/// - `POST /publish` and `POST /subscribe` (admin, bearer token): the pua_mi / pua_rpc publish and subscribe;
/// - `GET /` (the BLF board page), `GET /board` (its lamps as JSON), `GET /board/events` (server-sent events).
public enum StatusHTTPServer {
    /// Largest request body accepted (admin API).
    public static let maxBodyBytes = 64 * 1024
    /// Largest page of `/publications`.
    public static let maxPageSize = 1000
    /// How often `/board/events` looks for changes.
    public static let boardInterval: Duration = .milliseconds(250)
    /// How long one `/board/events` response lasts before the page reconnects.
    public static let boardStreamLifetime: Duration = .seconds(300)

    /// The routes, separate from the listener so tests drive them without a socket.
    public static func router(board: StatusBoard, context: StatusContext = StatusContext()) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/status") { _, _ -> Response in
            let report = await board.report()
            let statistics = await context.engine?.statistics()
            let subscriptions = await context.subscriptions?.subscriptions()
            let feeds = await context.feeds?()
            var cluster = context.cluster
            if let state = await context.clusterState?() {
                cluster?.nodes = state.nodes
                cluster?.tags = state.tags
            }
            return json(.ok, StatusDocument(report: report, cluster: cluster, engine: statistics, subscriptions: subscriptions, feeds: feeds))
        }
        router.get("/healthz") { _, _ -> Response in
            text(.ok, "alive\n")
        }
        router.get("/readyz") { _, _ -> Response in
            let report = await board.report()
            if report.ready { return text(.ok, "ready\n") }
            return json(.serviceUnavailable, NotReady(notReady: report.components.filter { !$0.state.isReady }))
        }
        router.get("/metrics") { _, _ -> Response in
            guard let registry = context.metrics else { return failure(.notFound, "metrics are not collected", field: nil) }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        router.get("/publications") { request, _ -> Response in
            guard let engine = context.engine else { return failure(.notFound, "no publication engine", field: nil) }
            let query = request.uri.queryParameters
            var filter = PublicationFilter()
            if let aor = query.get("aor") {
                guard let uri = try? SIPURI(parsing: aor), uri.scheme == .sip || uri.scheme == .sips else {
                    return failure(.badRequest, "aor is not a sip: or sips: URI", field: "aor")
                }
                filter.presentity = aor
            }
            filter.event = query.get("event")
            if let name = query.get("state") {
                guard let state = PublicationEngine.state(named: name), state != .removed else {
                    return failure(.badRequest, "state must be idle, publishing, published or failed", field: "state")
                }
                filter.state = state
            }
            guard let offset = integer(query.get("offset"), default: 0, in: 0...Int.max) else {
                return failure(.badRequest, "offset must be a whole number ≥ 0", field: "offset")
            }
            guard let limit = integer(query.get("limit"), default: 100, in: 1...maxPageSize) else {
                return failure(.badRequest, "limit must be a whole number from 1 to \(maxPageSize)", field: "limit")
            }
            let (total, page) = await engine.publications(matching: filter, offset: offset, limit: limit)
            return json(.ok, PublicationPage(
                total: total, offset: offset, limit: limit, publications: page.map { PublicationView($0, includeBody: false) }))
        }
        router.get("/publications/:id") { _, requestContext -> Response in
            guard let engine = context.engine else { return failure(.notFound, "no publication engine", field: nil) }
            guard let id = requestContext.parameters.get("id"), let key = PublicationView.key(of: id) else {
                return failure(.badRequest, "not a publication id", field: "id")
            }
            guard let snapshot = await engine.publication(key) else { return failure(.notFound, "no such publication", field: "id") }
            return json(.ok, PublicationView(snapshot, includeBody: true))
        }
        router.get("/subscriptions") { request, _ -> Response in
            guard let engine = context.subscriptions else { return failure(.notFound, "no subscription engine", field: nil) }
            let query = request.uri.queryParameters
            guard let offset = integer(query.get("offset"), default: 0, in: 0...Int.max) else {
                return failure(.badRequest, "offset must be a whole number ≥ 0", field: "offset")
            }
            guard let limit = integer(query.get("limit"), default: 100, in: 1...maxPageSize) else {
                return failure(.badRequest, "limit must be a whole number from 1 to \(maxPageSize)", field: "limit")
            }
            let resource: String? = query.get("resource"), event: String? = query.get("event"), state: String? = query.get("state")
            let matching = await engine.subscriptions().filter {
                (resource == nil || $0.parameters.resource.description == resource) && (event == nil || $0.parameters.event == event)
                    && (state == nil || "\($0.state)" == state)
            }
            return json(.ok, SubscriptionPage(
                total: matching.count, offset: offset, limit: limit,
                subscriptions: matching.dropFirst(offset).prefix(limit).map { SubscriptionView($0, includeBody: false) }))
        }
        router.get("/subscriptions/:id") { _, requestContext -> Response in
            guard let engine = context.subscriptions else { return failure(.notFound, "no subscription engine", field: nil) }
            guard let id = requestContext.parameters.get("id"), let snapshot = await engine.subscription(id) else {
                return failure(.notFound, "no such subscription", field: "id")
            }
            return json(.ok, SubscriptionView(snapshot, includeBody: true))
        }
        router.post("/subscribe") { request, _ -> Response in
            let body: [UInt8]
            switch await adminBody(request, context: context, enabled: context.subscriptions != nil) {
            case .success(let bytes): body = bytes
            case .failure(let refusal): return refusal.response
            }
            guard let engine = context.subscriptions else { preconditionFailure("adminBody checked the engine") }
            let parameters: SubscribeParameters
            do throws(AdminPublishRequest.Invalid) {
                parameters = try AdminSubscribeRequest.parse(body)
            } catch {
                return failure(.badRequest, error.message, field: error.field)
            }
            if parameters.expires == 0 {
                await engine.unsubscribe(id: parameters.id)
            } else {
                await engine.sendSubscribe(parameters)
            }
            return json(.accepted, Accepted(id: parameters.id))
        }
        router.get("/") { _, _ -> Response in
            let lamps = await context.engine?.publications() ?? []
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let json = (try? encoder.encode(BoardLamp.lamps(from: lamps))).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
            return Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: BoardPage.html(lamps: json))))
        }
        router.get("/board") { _, _ -> Response in
            guard let engine = context.engine else { return failure(.notFound, "no publication engine", field: nil) }
            return json(.ok, BoardLamp.lamps(from: await engine.publications()))
        }
        router.get("/board/events") { _, _ -> Response in
            guard let engine = context.engine else { return failure(.notFound, "no publication engine", field: nil) }
            return Response(
                status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                body: ResponseBody { writer in
                    // The board now and whenever it changes (checked every boardInterval); a comment every second
                    // otherwise, so a closed connection is noticed within a second. The stream ends on a graceful
                    // shutdown and after boardStreamLifetime (the page reconnects, `retry` 1 s).
                    try await writer.write(ByteBuffer(string: "retry: 1000\n\n"))
                    var last: [BoardLamp]?
                    var quietSince = ContinuousClock.now
                    let ends = ContinuousClock.now + boardStreamLifetime
                    while !Task.isCancelled, !Task.isShuttingDownGracefully, ContinuousClock.now < ends {
                        let lamps = BoardLamp.lamps(from: await engine.publications())
                        if lamps != last {
                            let encoder = JSONEncoder()
                            encoder.outputFormatting = [.sortedKeys]
                            let data = (try? encoder.encode(lamps)) ?? Data("[]".utf8)
                            try await writer.write(ByteBuffer(string: "data: " + String(decoding: data, as: UTF8.self) + "\n\n"))
                            last = lamps
                            quietSince = .now
                        } else if ContinuousClock.now - quietSince >= .seconds(1) {
                            try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                            quietSince = .now
                        }
                        try await Task.sleep(for: boardInterval)
                    }
                    try await writer.finish(nil)
                })
        }
        router.post("/publish") { request, _ -> Response in
            let body: [UInt8]
            switch await adminBody(request, context: context, enabled: context.engine != nil) {
            case .success(let bytes): body = bytes
            case .failure(let refusal): return refusal.response
            }
            guard let engine = context.engine else { preconditionFailure("adminBody checked the engine") }
            let parameters: PublishParameters
            do throws(AdminPublishRequest.Invalid) {
                parameters = try AdminPublishRequest.parse(body)
            } catch {
                return failure(.badRequest, error.message, field: error.field)
            }
            do {
                try await engine.sendPublish(parameters)
            } catch {
                return failure(.unprocessableContent, "\(error)", field: nil)
            }
            return json(.accepted, Accepted(id: PublicationView.id(of: PublicationKey(
                presentity: parameters.presentity.description, event: parameters.event, id: parameters.id))))
        }
        return router
    }

    /// A Hummingbird application (a swift-service-lifecycle `Service`) listening on `host:port`.
    public static func application(
        board: StatusBoard, context: StatusContext = StatusContext(), host: String, port: Int, logger: Logger
    ) -> some ApplicationProtocol {
        Application(
            router: router(board: board, context: context),
            configuration: .init(address: .hostname(host, port: port), serverName: "Lamplighter"),
            logger: logger)
    }

    /// An admin request refused before its body is read.
    struct Refusal: Error {
        var response: Response
    }

    /// The body of an admin request once the API is on (`enabled` and a token configured: else 404), the bearer
    /// token matches (else 401) and the body fits (else 413).
    static func adminBody(_ request: Request, context: StatusContext, enabled: Bool) async -> Result<[UInt8], Refusal> {
        guard let token = context.adminToken, enabled else {
            return .failure(Refusal(response: failure(.notFound, "the admin API is disabled (status.admin_token is not set)", field: nil)))
        }
        guard authorized(request.headers[.authorization], token: token) else {
            return .failure(Refusal(response: Response(
                status: .unauthorized, headers: [.contentType: "application/json", .wwwAuthenticate: "Bearer"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"error":"a bearer token is required"}"#)))))
        }
        do {
            return .success(Array(buffer: try await request.body.collect(upTo: maxBodyBytes)))
        } catch {
            return .failure(Refusal(response: failure(.contentTooLarge, "the body exceeds \(maxBodyBytes) bytes", field: nil)))
        }
    }

    /// Whether `header` is `Bearer <token>`, compared in constant time (no early exit on the first difference).
    static func authorized(_ header: String?, token: String) -> Bool {
        guard let header, header.hasPrefix("Bearer ") else { return false }
        let given = Array(header.dropFirst("Bearer ".count).utf8)
        let expected = Array(token.utf8)
        var difference = UInt8(truncatingIfNeeded: given.count ^ expected.count)
        for index in 0..<max(given.count, expected.count) {
            let a = index < given.count ? given[index] : 0
            let b = index < expected.count ? expected[index] : 0
            difference |= a ^ b
        }
        return difference == 0
    }

    static func integer(_ text: String?, default value: Int, in range: ClosedRange<Int>) -> Int? {
        guard let text else { return value }
        guard let number = Int(text), range.contains(number) else { return nil }
        return number
    }

    struct NotReady: Encodable {
        var ready = false
        var notReady: [StatusBoard.Component]
    }

    struct Accepted: Encodable {
        var id: String
    }

    struct Failure: Encodable {
        var error: String
        var field: String?
    }

    static func failure(_ status: HTTPResponse.Status, _ message: String, field: String?) -> Response {
        json(status, Failure(error: message, field: field))
    }

    static func json(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data(#"{"error":"unencodable"}"#.utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func text(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
