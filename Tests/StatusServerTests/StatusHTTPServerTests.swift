import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import StatusServer

@Suite struct StatusHTTPServerTests {
    final class ManualClock: @unchecked Sendable {
        var now = Date(timeIntervalSince1970: 1_000)
    }

    @Test func reportsComponentsAndReadiness() async throws {
        let clock = ManualClock()
        let board = StatusBoard(version: "9.9.9", now: { clock.now })
        await board.update("redis", .ready, detail: "redis://127.0.0.1:16379")
        await board.update("postgresql", .failed("connection refused"))
        clock.now = Date(timeIntervalSince1970: 1_030)
        let app = Application(router: StatusHTTPServer.router(board: board))
        try await app.test(.router) { client in
            try await client.execute(uri: "/status", method: .get) { response in
                #expect(response.status == .ok)
                let report = try JSONDecoder().decode(StatusBoard.Report.self, from: Data(buffer: response.body))
                #expect(report.version == "9.9.9")
                #expect(report.ready == false)
                #expect(report.uptimeSeconds == 30)
                #expect(report.components.map(\.name) == ["redis", "postgresql"])
                #expect(report.components[1].state == .failed("connection refused"))
                let raw = String(buffer: response.body)
                #expect(raw.contains("\"state\":\"failed\""), "\(raw)")
                #expect(raw.contains("\"error\":\"connection refused\""), "\(raw)")
            }
            // Liveness does not depend on the dependencies; readiness does.
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "alive\n")
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body).contains(#""name":"postgresql""#))
            }
        }
        await board.update("postgresql", .ready)
        try await app.test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func aDegradedComponentIsShownAndMakesReadyzAnswer503() async throws {
        let board = StatusBoard(version: "1")
        await board.update("redis", .ready)
        await board.update("store", .degraded("publishing from memory; 12 changes wait: unavailable: connection refused"))
        let app = Application(router: StatusHTTPServer.router(board: board))
        try await app.test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                struct NotReady: Decodable {
                    var ready: Bool
                    var notReady: [StatusBoard.Component]
                }
                let body = try JSONDecoder().decode(NotReady.self, from: Data(buffer: response.body))
                #expect(body.ready == false && body.notReady.map(\.name) == ["store"] && body.notReady[0].state.name == "degraded")
            }
            try await client.execute(uri: "/status", method: .get) { response in
                let report = try JSONDecoder().decode(StatusBoard.Report.self, from: Data(buffer: response.body))
                #expect(report.components.last?.state == .degraded("publishing from memory; 12 changes wait: unavailable: connection refused"))
                #expect(String(buffer: response.body).contains("\"state\":\"degraded\""))
            }
        }
        await board.update("store", .ready)
        try await app.test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "ready\n")
            }
        }
    }

    @Test func sinceMovesOnlyWhenTheStateChanges() async {
        let clock = ManualClock()
        let board = StatusBoard(version: "1", now: { clock.now })
        await board.update("redis", .connecting)
        clock.now = Date(timeIntervalSince1970: 1_005)
        await board.update("redis", .connecting, detail: "retry 2")
        #expect(await board.report().components[0].since == 1_000)
        clock.now = Date(timeIntervalSince1970: 1_010)
        await board.update("redis", .ready)
        #expect(await board.report().components[0].since == 1_010)
        #expect(await board.report().ready)
    }

    @Test func anEmptyBoardIsNotReady() async {
        #expect(await StatusBoard(version: "1").report().ready == false)
    }
}
