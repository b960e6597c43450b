import Foundation
import LamplighterTestSupport
import Testing
@testable import Feeds

@Suite struct FeedReplayTests {
    /// The repository's `feeds/` folder.
    static let feedsFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("feeds")

    @Test func theDemoAndTheExamplesAreEventsTheFeedsAccept() throws {
        let demo = try FeedReplay(parsing: String(contentsOf: Self.feedsFolder.appendingPathComponent("demo.jsonl"), encoding: .utf8))
        #expect(demo.entries.count >= 15)
        for entry in demo.entries {
            _ = try FeedEvent.decode(entry.payload, feed: entry.feed)
        }
        #expect(Set(demo.entries.map(\.feed)) == Set(FeedKind.allCases))
        let examples: [(String, FeedKind)] = [
            ("registration-insert", .registrations), ("registration-delete", .registrations), ("dialog-early", .dialogs),
            ("dialog-shared-line", .dialogs), ("mwi", .mwi),
        ]
        for (name, feed) in examples {
            let bytes = try Data(contentsOf: Self.feedsFolder.appendingPathComponent("examples/\(name).json"))
            _ = try FeedEvent.decode(Array(bytes), feed: feed)
        }
        for feed in FeedKind.allCases {
            let schema = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.feedsFolder.appendingPathComponent("\(feed).schema.json")))
            #expect((schema as? [String: Any])?["type"] as? String == "object")
        }
    }

    @Test func badLinesAreNamedByNumber() {
        func error(_ text: String) -> String? {
            do {
                _ = try FeedReplay(parsing: text)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(error("# comment\n\n{\"at\":0,\"feed\":\"mwi\",\"event\":{}}\nnot json") == "line 4: not a JSON object")
        #expect(error(#"{"at":-1,"feed":"mwi","event":{}}"#) == "line 1: \"at\" must be a number of seconds ≥ 0")
        #expect(error("{\"at\":2,\"feed\":\"mwi\",\"event\":{}}\n{\"at\":1,\"feed\":\"mwi\",\"event\":{}}") == "line 2: \"at\" 1.0 is before the previous line's 2.0")
        #expect(error(#"{"at":0,"feed":"presence","event":{}}"#) == "line 1: \"feed\" must be one of registrations, dialogs, mwi")
        #expect(error(#"{"at":0,"feed":"mwi","event":[1]}"#) == "line 1: \"event\" must be a JSON object")
    }

    @Test func playsIntoStreamsAndChannelsInOrder() async throws {
        let stream = UniqueNames.make("replay")
        let replay = try FeedReplay(parsing: """
            {"at":0,"feed":"mwi","event":{"aor":"sip:a@h","new":1,"old":0}}
            {"at":0.05,"feed":"mwi","event":{"aor":"sip:a@h","new":2,"old":0}}
            {"at":0.1,"feed":"dialogs","event":{"state":"early"}}
            """)
        let redis = try await TestServices.redis()
        defer { Task { await redis.close() } }
        let started = ContinuousClock.now
        let count = try await replay.play(into: redis, targets: [.mwi: .init(key: stream, mode: .stream)], speed: 1)
        #expect(count == 2, "the dialogs line has no target")
        #expect(ContinuousClock.now - started >= .milliseconds(50), "played with its timing")
        guard case .array(let entries) = try await redis.command(["XRANGE", stream, "-", "+"]) else { Issue.record("XRANGE"); return }
        let payloads = RedisStreamReader.entries(in: .array([.array([.string(Array(stream.utf8)), .array(entries)])]))
        #expect(payloads.map { String(decoding: $0.payload, as: UTF8.self) } == [
            #"{"aor":"sip:a@h","new":1,"old":0}"#, #"{"aor":"sip:a@h","new":2,"old":0}"#,
        ])
    }
}
