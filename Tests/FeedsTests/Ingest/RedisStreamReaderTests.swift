import Foundation
import LamplighterTestSupport
import Logging
import Testing
@testable import Feeds

/// At-least-once reading of Redis Streams with a consumer group, against the real Redis.
@Suite struct RedisStreamReaderTests {
    let logger = Logger(label: "test.streams")

    func reader(_ stream: String, consumer: String = "c1") -> RedisStreamReader {
        RedisStreamReader(endpoint: TestServices.redisEndpoint, streams: [stream], group: "g", consumer: consumer, logger: logger)
    }

    /// Everything `reader` delivers, from one task iterating its stream (an AsyncStream ends when its iterator goes).
    final class Collector: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [FeedMessage] = []
        private var task: Task<Void, Never>?

        init(_ reader: RedisStreamReader) {
            task = Task { [weak self] in
                for await batch in reader.messages { self?.lock.withLock { self?.stored += batch } }
            }
        }

        var messages: [FeedMessage] { lock.withLock { stored } }

        /// The messages from `start` on, once there are `count` of them (or what there is after `timeout`).
        func wait(for count: Int, from start: Int = 0, timeout: Duration = .seconds(10)) async -> [FeedMessage] {
            let deadline = ContinuousClock.now + timeout
            while messages.count - start < count, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
            return Array(messages.dropFirst(start))
        }
    }

    /// A stopped reader may still finish the read it was blocked in (its entries stay pending, for the next run).
    func stopAndWait(_ reader: RedisStreamReader) async throws {
        reader.stop()
        let deadline = ContinuousClock.now + .seconds(5)
        while reader.state != .stopped, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(reader.state == .stopped)
    }

    func waitReady(_ reader: RedisStreamReader) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while reader.state != .ready, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(reader.state == .ready)
    }

    @Test func entriesAddedWhileTheReaderIsDownAreReadWhenItReturns() async throws {
        let stream = UniqueNames.make("stream")
        let redis = try await TestServices.redis()
        defer { Task { await redis.close() } }
        let first = reader(stream)
        try await waitReady(first)  // creates the group
        try await stopAndWait(first)
        for n in 1...3 { _ = try await redis.command(["XADD", stream, "*", "payload", "{\"n\":\(n)}"]) }
        let second = reader(stream)
        defer { second.stop() }
        let messages = await Collector(second).wait(for: 3)
        #expect(messages.map { String(decoding: $0.payload, as: UTF8.self) } == ["{\"n\":1}", "{\"n\":2}", "{\"n\":3}"])
        #expect(messages.allSatisfy { $0.source == stream && $0.id != nil })
    }

    @Test func unacknowledgedEntriesAreDeliveredAgainAfterARestartAndAcknowledgedOnesAreNot() async throws {
        let stream = UniqueNames.make("stream")
        let redis = try await TestServices.redis()
        defer { Task { await redis.close() } }
        let first = reader(stream)
        try await waitReady(first)
        for n in 1...4 { _ = try await redis.command(["XADD", stream, "*", "payload", "{\"n\":\(n)}"]) }
        let delivered = await Collector(first).wait(for: 4)
        #expect(delivered.count == 4)
        first.acknowledge(Array(delivered.prefix(2)))  // applied two, then "crashed"
        // The acknowledgements go out before the next read.
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            if case .array(let summary) = try await redis.command(["XPENDING", stream, "g"]), summary.first == .integer(2) { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        try await stopAndWait(first)
        let second = reader(stream)
        defer { second.stop() }
        let collector = Collector(second)
        let again = await collector.wait(for: 2)
        #expect(again.map { String(decoding: $0.payload, as: UTF8.self) } == ["{\"n\":3}", "{\"n\":4}"])
        second.acknowledge(again)
        _ = try await redis.command(["XADD", stream, "*", "payload", "{\"n\":5}"])
        let next = await collector.wait(for: 1, from: 2)
        #expect(next.map { String(decoding: $0.payload, as: UTF8.self) } == ["{\"n\":5}"])
    }

    @Test func anUnreachableRedisIsReportedAndRetried() async throws {
        let states = StateLog()
        let reader = RedisStreamReader(
            endpoint: RedisEndpoint(host: "127.0.0.1", port: 1, timeout: 0.5), streams: ["s"], group: "g", consumer: "c", logger: logger,
            onState: { states.append($0) })
        defer { reader.stop() }
        let deadline = ContinuousClock.now + .seconds(5)
        while states.values.count < 1, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        guard case .reconnecting(let why)? = states.values.first else { Issue.record("\(states.values)"); return }
        #expect(why.contains("127.0.0.1:1"))
    }
}

final class StateLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [FeedConnectionState] = []
    func append(_ state: FeedConnectionState) { lock.withLock { stored.append(state) } }
    var values: [FeedConnectionState] { lock.withLock { stored } }
}
