import LamplighterTestSupport
import Testing
@testable import Feeds

/// Against the real Redis started by deploy/test.
@Suite struct RedisConnectionTests {
    @Test func pingsAndRoundTripsBinaryValues() async throws {
        let redis = try await TestServices.redis()
        try await redis.ping()
        let key = UniqueNames.make("feeds_key")
        let value: [UInt8] = [0, 1, 2, 0xFF, 0x0D, 0x0A, 0]
        #expect(try await redis.command(bytes: [Array("SET".utf8), Array(key.utf8), value]) == .status("OK"))
        #expect(try await redis.command(bytes: [Array("GET".utf8), Array(key.utf8)]) == .string(value))
        #expect(try await redis.command(["DEL", key]) == .integer(1))
        #expect(try await redis.command(["GET", key]) == .null)
        #expect(try await redis.command(["RPUSH", key, "a", "b"]) == .integer(2))
        #expect(try await redis.command(["LRANGE", key, "0", "-1"]) == .array([.string(Array("a".utf8)), .string(Array("b".utf8))]))
        _ = try await redis.command(["DEL", key])
        await redis.close()
    }

    @Test func anErrorReplyIsThrownWithRedisWords() async throws {
        let redis = try await TestServices.redis()
        let key = UniqueNames.make("feeds_err")
        _ = try await redis.command(["SET", key, "text"])
        await #expect {
            try await redis.command(["LPUSH", key, "x"])
        } throws: { error in
            guard let error = error as? RedisError else { return false }
            return error.code == .commandFailed && error.message.contains("WRONGTYPE")
        }
        // The connection stays usable after an error reply.
        try await redis.ping()
        _ = try await redis.command(["DEL", key])
        await redis.close()
    }

    @Test func aClosedPortFailsToConnectNamingTheEndpoint() async {
        await #expect {
            _ = try await RedisConnection.connect(to: RedisEndpoint(host: "127.0.0.1", port: 1, timeout: 1))
        } throws: { error in
            guard let error = error as? RedisError else { return false }
            return error.code == .connectFailed && error.description.contains("127.0.0.1:1")
        }
    }

    @Test func aPasswordRedisDoesNotExpectIsAnAuthenticationFailure() async {
        var endpoint = TestServices.redisEndpoint
        endpoint.password = "not-configured"
        await #expect {
            _ = try await RedisConnection.connect(to: endpoint)
        } throws: { error in
            (error as? RedisError)?.code == .authenticationFailed && !"\(error)".contains("not-configured")
        }
    }

    @Test func commandsAfterCloseFail() async throws {
        let redis = try await TestServices.redis()
        await redis.close()
        await #expect { try await redis.ping() } throws: { ($0 as? RedisError)?.code == .closed }
    }
}
