import Feeds
import Foundation
import LamplighterTestSupport
import PUAStore
import Testing

/// Redis killed (-9) and started again under a running daemon, on a redis-server of the test's own whose
/// append-only file is fsynced on every write. Streams: nothing is lost, entries delivered but not yet
/// acknowledged when Redis died are delivered again. Pub/sub: the subscriber comes back, and the gap (in
/// which published events are gone) is logged and counted.
@Suite struct RedisRestartTests {
    /// Appends the registrations `first..<last` to the setup's stream in one script: the daemon reads them in
    /// batches and acknowledges each batch only after its state is stored (every `update_period`).
    static let appendScript = """
        for n = tonumber(ARGV[2]), tonumber(ARGV[3]) - 1 do
          local user = ARGV[1] .. 'u' .. n
          redis.call('XADD', KEYS[1], '*', 'payload', '{"event":"contact-insert","aor":"sip:' .. user .. '@127.0.0.1","contact":"sip:' .. user .. '@192.0.2.1:5060","expires":3600,"seq":1}')
        end
        return 0
        """

    static func metrics(_ port: Int) async throws -> String {
        try await StatusEndpointTests.get(port, "/metrics").1
    }

    @Test func redisKilledMidStreamLosesNoEvent() async throws {
        let redis = try await RedisSandbox()
        var setup = DaemonRecoveryTests.Setup()
        setup.redisURL = redis.url
        let services = try await DaemonRecoveryTests.Services.open(for: setup)
        defer {
            Task {
                await services.close()
                await redis.remove()
            }
        }
        let statusPort = try FreePort.tcp()
        let daemon = try LamplighterDaemon(name: "redis-kill", configuration: setup.configuration(sipPort: try FreePort.udp(), statusPort: statusPort))
        let run = try await daemon.start()
        defer { Task { await daemon.stop() } }
        let open: (Int) -> (open: Bool, contacts: [String]) = { _ in (true, ["192.0.2.1"]) }

        var producer = try await RedisConnection.connect(to: redis.endpoint)
        _ = try await producer.command(["EVAL", Self.appendScript, "1", setup.stream, setup.prefix, "0", "20"])
        var wrong: [String] = []
        #expect(try await DaemonRecoveryTests.eventually {
            wrong = try await DaemonRecoveryTests.wrongLamps(0..<20, setup, services.kamailio, expected: open)
            return wrong.isEmpty
        }, "before the kill:\n\(wrong.joined(separator: "\n"))")

        // 200 more in one go, and Redis killed as soon as they are written: most are read but not acknowledged.
        _ = try await producer.command(["EVAL", Self.appendScript, "1", setup.stream, setup.prefix, "20", "220"])
        try await redis.kill()
        await producer.close()
        try await daemon.waitForLog("redis stream reader connection lost", run: run)
        try await Task.sleep(for: .seconds(2))
        try await redis.start()
        try await daemon.waitForLog("redis stream reader connected again", run: run)
        producer = try await RedisConnection.connect(to: redis.endpoint)
        defer { Task { [producer] in await producer.close() } }
        _ = try await producer.command(["EVAL", Self.appendScript, "1", setup.stream, setup.prefix, "220", "240"])

        #expect(try await DaemonRecoveryTests.eventually(.seconds(60)) {
            wrong = try await DaemonRecoveryTests.wrongLamps(0..<240, setup, services.kamailio, expected: open)
            return wrong.isEmpty
        }, "\(wrong.count) lamps wrong after the restart:\n\(wrong.prefix(10).joined(separator: "\n"))")
        var pending: RedisReply = .null
        let acknowledged = try await DaemonRecoveryTests.eventually {
            pending = try await producer.command(["XPENDING", setup.stream, setup.prefix])
            if case .array(let summary) = pending, summary.first == .integer(0) { return true }
            return false
        }
        #expect(acknowledged, "every entry acknowledged in the end: \(pending)")
        let text = try await Self.metrics(statusPort)
        #expect(StatusEndpointTests.sample(text, #"lamplighter_redis_connections_lost_total{connection="stream reader"}"#) >= 1, "\(text.split(separator: "\n").filter { $0.contains("redis") })")
    }

    @Test func redisRestartedUnderPubSubIsLoggedAndCountedAsAGap() async throws {
        let redis = try await RedisSandbox()
        var setup = DaemonRecoveryTests.Setup()
        setup.redisURL = redis.url
        setup.registrationsMode = "pubsub"
        let services = try await DaemonRecoveryTests.Services.open(for: setup)
        defer {
            Task {
                await services.close()
                await redis.remove()
            }
        }
        let statusPort = try FreePort.tcp()
        let daemon = try LamplighterDaemon(name: "redis-gap", configuration: setup.configuration(sipPort: try FreePort.udp(), statusPort: statusPort))
        let run = try await daemon.start()
        defer { Task { await daemon.stop() } }
        let open: (Int) -> (open: Bool, contacts: [String]) = { _ in (true, ["192.0.2.1"]) }

        /// PUBLISHes the registrations `range`, each once a subscriber is there to take it.
        func publish(_ range: Range<Int>, _ producer: RedisConnection) async throws {
            for n in range {
                let payload = DaemonRecoveryTests.event("contact-insert", setup.aor(n), contact: "sip:\(setup.user(n))@192.0.2.1:5060", seq: 1)
                let delivered = try await DaemonRecoveryTests.eventually(.seconds(20)) {
                    try await producer.command(["PUBLISH", setup.stream, payload]) == .integer(1)
                }
                #expect(delivered, "a subscriber took event \(n)")
            }
        }
        var producer = try await RedisConnection.connect(to: redis.endpoint)
        try await publish(0..<10, producer)
        var wrong: [String] = []
        #expect(try await DaemonRecoveryTests.eventually {
            wrong = try await DaemonRecoveryTests.wrongLamps(0..<10, setup, services.kamailio, expected: open)
            return wrong.isEmpty
        }, "before the restart:\n\(wrong.joined(separator: "\n"))")

        try await redis.kill()
        await producer.close()
        try await daemon.waitForLog("redis subscriber connection lost", run: run)
        try await Task.sleep(for: .seconds(2))
        try await redis.start()
        try await daemon.waitForLog("redis subscriber connected again", run: run)
        let log = daemon.log(run: run)
        #expect(log.contains("pub/sub events published in the gap are lost"), "the gap is logged as a loss")

        producer = try await RedisConnection.connect(to: redis.endpoint)
        defer { Task { [producer] in await producer.close() } }
        try await publish(10..<20, producer)
        #expect(try await DaemonRecoveryTests.eventually {
            wrong = try await DaemonRecoveryTests.wrongLamps(0..<20, setup, services.kamailio, expected: open)
            return wrong.isEmpty
        }, "after the restart:\n\(wrong.joined(separator: "\n"))")

        let text = try await Self.metrics(statusPort)
        let redisLines = text.split(separator: "\n").filter { $0.contains("lamplighter_redis") }.joined(separator: "\n")
        #expect(StatusEndpointTests.sample(text, #"lamplighter_redis_connections_lost_total{connection="subscriber"}"#) >= 1, "\(redisLines)")
        #expect(StatusEndpointTests.sample(text, #"lamplighter_redis_gap_seconds_count{connection="subscriber"}"#) >= 1, "\(redisLines)")
        #expect(StatusEndpointTests.sample(text, #"lamplighter_redis_gap_seconds_sum{connection="subscriber"}"#) >= 1.5, "the gap lasted the 2 s Redis was down: \(redisLines)")
    }
}
