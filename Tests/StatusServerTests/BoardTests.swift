import Foundation
import Hummingbird
import HummingbirdTesting
import LamplighterTestSupport
import PUACore
import PresenceDocuments
import SIPCore
import Testing
@testable import StatusServer

/// The BLF board: lamps from publications (pure), and the page in headless Chromium with a real engine
/// publishing to the test Kamailio: the screenshot's pixels show each lamp's known state, and the page's
/// event stream follows a change.
@Suite struct BoardTests {
    static func pidf(_ aor: String, open: Bool) -> [UInt8] {
        Array(PIDFDocument(entity: aor, tuples: [.init(id: "t1", basic: open ? .open : .closed)]).xml().utf8)
    }

    static func dialogs(_ aor: String, _ states: [DialogInfoDocument.State], line: Int? = nil) -> [UInt8] {
        Array(DialogInfoDocument(entity: aor, dialogs: states.enumerated().map { index, state in
            .init(id: "d\(index)", state: state, local: line.map { .init(identity: aor, target: aor, targetParameters: [("x-line-index", String($0))]) })
        }).xml().utf8)
    }

    static func mwi(_ aor: String, new: Int) -> [UInt8] {
        Array(MessageSummaryDocument(account: aor, newMessages: new, oldMessages: 0).text().utf8)
    }

    static func snapshot(_ aor: String, _ event: String, _ body: [UInt8]) -> PublicationSnapshot {
        PublicationSnapshot(
            key: PublicationKey(presentity: aor, event: event), state: .published, etag: "e", grantedExpires: 600, expiresAt: nil,
            desiredExpires: nil, body: body, contentType: "x", version: nil, tupleID: "t", lastReply: nil, lastFailure: nil,
            hasPendingUpdate: false, source: .admin, sharingTag: nil, extraHeaders: [], outboundProxy: nil, sourceDigest: nil)
    }

    @Test func lampsCombineTheEventsOfEachAOR() {
        let lamps = BoardLamp.lamps(from: [
            Self.snapshot("sip:b@pbx", "presence", Self.pidf("sip:b@pbx", open: false)),
            Self.snapshot("sip:a@pbx", "presence", Self.pidf("sip:a@pbx", open: true)),
            Self.snapshot("sip:a@pbx", "dialog", Self.dialogs("sip:a@pbx", [.terminated, .early])),
            Self.snapshot("sip:c@pbx", "presence", Self.pidf("sip:c@pbx", open: false)),
            Self.snapshot("sip:c@pbx", "dialog", Self.dialogs("sip:c@pbx", [.confirmed])),
            Self.snapshot("sip:line@pbx", "dialog;sla", Self.dialogs("sip:line@pbx", [.confirmed, .early], line: 2)),
            Self.snapshot("sip:a@pbx", "message-summary", Self.mwi("sip:a@pbx", new: 2)),
            Self.snapshot("sip:b@pbx", "message-summary", Self.mwi("sip:b@pbx", new: 0)),
            Self.snapshot("sip:d@pbx", "presence", Array("<not pidf/>".utf8)),
        ])
        #expect(lamps.map(\.aor) == ["sip:a@pbx", "sip:b@pbx", "sip:c@pbx", "sip:d@pbx", "sip:line@pbx"])
        #expect(lamps.map(\.state) == [.ringing, .offline, .busy, .idle, .idle])
        #expect(lamps[0].online == true && lamps[0].messagesWaiting == true && lamps[1].messagesWaiting == false)
        #expect(lamps[2].online == false, "offline but in a call: busy wins")
        #expect(lamps[3].online == nil, "an unreadable body changes nothing")
        #expect(lamps[4].appearances == [BoardLamp.Appearance(index: 2, state: .busy)])
    }

    @Test func theBoardShowsEachLampInChromiumAndFollowsChanges() async throws {
        let (engine, endpoint) = try await StatusEngineRoutesTests.engine()
        defer { Task { await endpoint.close() } }
        let prefix = UniqueNames.make("board")
        let aors = ["a", "b", "c", "d", "e"].map { "sip:\(prefix)\($0)@127.0.0.1" }
        let publish = { @Sendable (aor: String, event: String, body: [UInt8], contentType: String) async throws in
            try await engine.sendPublish(PublishParameters(
                presentity: try SIPURI(parsing: aor), event: event, body: body, contentType: contentType, expires: 600, source: .admin))
        }
        // a busy, b idle, c offline, d ringing with a message waiting, e idle with line 2 busy.
        for aor in aors { try await publish(aor, "presence", Self.pidf(aor, open: aor != aors[2]), PIDFDocument.contentType) }
        try await publish(aors[0], "dialog", Self.dialogs(aors[0], [.confirmed]), DialogInfoDocument.contentType)
        try await publish(aors[3], "dialog", Self.dialogs(aors[3], [.early]), DialogInfoDocument.contentType)
        try await publish(aors[3], "message-summary", Self.mwi(aors[3], new: 1), MessageSummaryDocument.contentType)
        try await publish(aors[4], "dialog;sla", Self.dialogs(aors[4], [.confirmed], line: 2), DialogInfoDocument.contentType)

        let app = Application(router: StatusHTTPServer.router(board: StatusBoard(version: "1"), context: StatusContext(engine: engine)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let screenshot = try await Chromium.screenshot(of: "http://127.0.0.1:\(port)/", width: 1000, height: 400)
            // Lamp i sits at (16 + (i % 4)·216, 64 + (i / 4)·136); its disc's centre is 40 px in, the badge at (178, 22),
            // the first line appearance's square from (20, 76) (sampled at (24, 80), clear of its number).
            func origin(_ i: Int) -> (x: Int, y: Int) { (16 + i % 4 * 216, 64 + i / 4 * 136) }
            let points = (0..<5).map { (origin($0).x + 40, origin($0).y + 40) }
                + [(origin(3).x + 178, origin(3).y + 22), (origin(0).x + 178, origin(0).y + 22), (origin(4).x + 24, origin(4).y + 80)]
            let colours = try await Chromium.pixels(of: screenshot, at: points)
            let busy = Chromium.RGB(198, 40, 40), idle = Chromium.RGB(46, 125, 50), offline = Chromium.RGB(97, 97, 97)
            let ringing = Chromium.RGB(249, 168, 37), badge = Chromium.RGB(21, 101, 192), lampBackground = Chromium.RGB(34, 34, 34)
            let expected = [busy, idle, offline, ringing, idle, badge, lampBackground, busy]
            #expect(colours.count == expected.count)
            for (index, (seen, wanted)) in zip(colours, expected).enumerated() {
                #expect(seen.isClose(to: wanted), "point \(points[index]): \(seen), expected \(wanted)")
            }

            // Live: the event stream sends the board, then the change when d answers its call.
            let d = aors[3]
            let stream = try EventStream(url: "http://127.0.0.1:\(port)/board/events")
            _ = try await stream.wait { !$0.isEmpty }
            try await publish(aors[3], "dialog", Self.dialogs(aors[3], [.confirmed]), DialogInfoDocument.contentType)
            let data = try await stream.wait { events in
                events.contains { event in
                    let lamps = (try? JSONDecoder().decode([BoardLamp].self, from: Data(event.utf8))) ?? []
                    return lamps.first { $0.aor == d }?.state == .busy
                }
            }
            await stream.stop()
            let first = try JSONDecoder().decode([BoardLamp].self, from: Data((data.first ?? "[]").utf8))
            #expect(first.first { $0.aor == d }?.state == .ringing, "the first event is the board as it was")
            #expect(first.first { $0.aor == d }?.messagesWaiting == true)
        }
    }
}
