import Foundation
import LamplighterTestSupport
import Testing

/// `lamplighter replay` as an operator runs it, against the test Redis.
@Suite struct ReplayCommandTests {
    let commands = CheckConfigCommandTests()

    func file(_ text: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("replay-\(UUID().uuidString).jsonl")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test func playsAFileIntoTheConfiguredStream() async throws {
        let stream = UniqueNames.make("replay_cli")
        let path = try file("""
            {"at":0,"feed":"mwi","event":{"aor":"sip:201@127.0.0.1","new":1,"old":0}}
            {"at":0,"feed":"registrations","event":{"event":"contact-delete","aor":"sip:201@127.0.0.1","contact":"sip:201@h"}}
            """)
        let config = CheckConfigCommandTests.valid + """

            [redis]
            url = "\(TestServices.redisURL)"
            [feeds.mwi]
            mode = "stream"
            key = "\(stream)"
            [feeds.registrations]
            enabled = false
            """
        let outcome = try await commands.run(["replay", path, "--speed", "0"], config: config)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("replayed 1 of 2 events"), "\(outcome.stdout)")
        let redis = try await TestServices.redis()
        defer { Task { await redis.close() } }
        #expect(try await redis.command(["XLEN", stream]) == .integer(1))
    }

    @Test func aBadFileIsRefusedWithTheLine() async throws {
        let path = try file("{\"at\":0,\"feed\":\"mwi\",\"event\":{}}\n{\"at\":0,\"feed\":\"nope\",\"event\":{}}\n")
        let outcome = try await commands.run(["replay", path], config: CheckConfigCommandTests.valid)
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("line 2: \"feed\" must be one of registrations, dialogs, mwi"), "\(outcome.stderr)")
    }
}

/// `lamplighter migrate` against the test database, whose migrations deploy/test applied.
@Suite struct MigrateCommandTests {
    static let sqlFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("sql")

    @Test func anUpToDateDatabaseIsLeftAsItIs() async throws {
        let config = """
            [database]
            url = "\(TestServices.databaseURL)"
            [sip]
            presence_server = "sip:127.0.0.1:15060"
            """
        let outcome = try await CheckConfigCommandTests().run(["migrate", "--migrations", Self.sqlFolder.path], config: config)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("migrate: 0 applied"), "\(outcome.stdout)")
        #expect(!outcome.stdout.contains("lamplighter@") || outcome.stdout.contains("****"), "the password is masked")
    }

    @Test func aMissingFolderIsAnError() async throws {
        let outcome = try await CheckConfigCommandTests().run(["migrate", "--migrations", "/nonexistent"], config: CheckConfigCommandTests.valid)
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("cannot list migrations in /nonexistent"), "\(outcome.stderr)")
    }
}
