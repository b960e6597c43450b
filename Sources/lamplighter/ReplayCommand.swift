import ArgumentParser
import Feeds
import Foundation
import LamplighterConfig

/// `lamplighter replay FILE --config PATH [--speed N]`: plays a JSON-lines file of feed events into Redis
/// (the configured channels or streams) with its timing.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Publish a JSON-lines file of feed events ({\"at\", \"feed\", \"event\"} per line) to the configured Redis feeds with its timing."
    )

    @Argument(help: "The JSON-lines file, e.g. feeds/demo.jsonl.")
    var file: String

    @OptionGroup var options: ConfigurationOptions

    @Option(name: .long, help: "Play this many times faster; 0 publishes everything at once.")
    var speed: Double = 1

    func run() async throws {
        let configuration = try options.load().configuration
        guard speed >= 0, speed.isFinite else {
            FileHandle.standardError.write(Data("lamplighter replay: --speed must be a number ≥ 0\n".utf8))
            throw ExitCode(2)
        }
        let replay: FeedReplay
        do {
            replay = try FeedReplay(parsing: try String(contentsOfFile: file, encoding: .utf8))
        } catch {
            FileHandle.standardError.write(Data("lamplighter replay: \(file): \(error)\n".utf8))
            throw ExitCode(2)
        }
        let feeds = configuration.feeds
        var targets: [FeedKind: FeedReplay.Target] = [:]
        for (kind, feed) in [(FeedKind.registrations, feeds.registrations), (.dialogs, feeds.dialogs), (.mwi, feeds.mwi)] where feed.enabled {
            targets[kind] = FeedReplay.Target(key: feed.key, mode: feed.mode == .stream ? .stream : .pubsub)
        }
        let url = configuration.redis.url
        let redis = try await RedisConnection.connect(to: RedisEndpoint(
            host: url.host, port: url.port ?? 6379, username: url.user, password: url.password, database: Int(url.path) ?? 0))
        let count = try await replay.play(into: redis, targets: targets, speed: speed)
        await redis.close()
        FileHandle.standardOutput.write(Data("replayed \(count) of \(replay.entries.count) events from \(file) into \(url.masked)\n".utf8))
    }
}
