import NIOCore
import Testing
@testable import SIPStack

/// The pool's decisions with injected time: reuse, one connect per destination, idle close, stale timers,
/// the connection cap.
@Suite struct SIPStreamConnectionPoolTests {
    let t0 = ContinuousClock.now
    let configuration = SIPStreamConnectionPool.Configuration(idleTimeout: .seconds(60), connectTimeout: .seconds(5), maxConnections: 3)

    func key(_ port: Int, _ transport: SIPTransportKind = .tcp, name: String? = nil) -> SIPStreamConnectionKey {
        SIPStreamConnectionKey(SIPDestination(transport: transport, address: try! SocketAddress(ipAddress: "127.0.0.1", port: port), serverName: name))
    }

    /// Opens connection `id` to `port` and establishes it at `at`; returns the idle timer's generation.
    func openEstablished(_ pool: inout SIPStreamConnectionPool, _ id: UInt64, port: Int, at: ContinuousClock.Instant) -> UInt64 {
        guard case .open(id, _) = pool.acquire(key(port), newID: id, now: at) else {
            Issue.record("expected to open \(id)")
            return 0
        }
        let actions = pool.established(id, now: at)
        guard case .scheduleTimer(id, .idle, _, let generation) = actions.first else {
            Issue.record("no idle timer")
            return 0
        }
        return generation
    }

    @Test func opensOnceThenWaitersWaitThenReuse() {
        var pool = SIPStreamConnectionPool(configuration: configuration)
        let first = pool.acquire(key(5060), newID: 1, now: t0)
        guard case .open(1, let actions) = first else { Issue.record("\(first)"); return }
        #expect(actions == [.scheduleTimer(1, .connect, at: t0 + .seconds(5), generation: 1)])
        // A concurrent send to the same destination waits for the connect in flight instead of opening.
        #expect(pool.acquire(key(5060), newID: 2, now: t0) == .wait(1))
        #expect(pool.count == 1)
        #expect(pool.established(1, now: t0 + .milliseconds(20)) == [
            .scheduleTimer(1, .idle, at: t0 + .milliseconds(20) + .seconds(60), generation: 2)
        ])
        #expect(pool.acquire(key(5060), newID: 3, now: t0 + .seconds(1)) == .reuse(1))
        // Another destination gets its own connection.
        guard case .open(4, _) = pool.acquire(key(5061), newID: 4, now: t0) else { Issue.record("expected open"); return }
        #expect(pool.count == 2)
    }

    @Test func tlsConnectionsAreKeyedByVerifiedNameAndTCPIgnoresIt() {
        #expect(key(5061, .tls, name: "a.example") != key(5061, .tls, name: "b.example"))
        #expect(key(5061, .tls, name: "A.Example") == key(5061, .tls, name: "a.example"))
        // No name and an IP-literal name are both "verify against the address", as for inbound connections.
        #expect(key(5061, .tls, name: "127.0.0.1") == key(5061, .tls))
        #expect(key(5061, .tls) == SIPStreamConnectionKey(transport: .tls, address: try! SocketAddress(ipAddress: "127.0.0.1", port: 5061)))
        #expect(key(5060, .tcp, name: "a.example") == key(5060, .tcp))
        #expect(key(5060, .tcp) != key(5060, .tls))
    }

    @Test func idleConnectionClosesAfterTimeoutWithoutTraffic() {
        var pool = SIPStreamConnectionPool(configuration: configuration)
        let generation = openEstablished(&pool, 1, port: 5060, at: t0)
        #expect(pool.timerFired(1, .idle, generation: generation, now: t0 + .seconds(60)) == [.close(1, .idle)])
        #expect(pool.count == 0)
        #expect(pool.connection(for: key(5060)) == nil)
        // The next send opens a new connection.
        guard case .open(2, _) = pool.acquire(key(5060), newID: 2, now: t0 + .seconds(61)) else { Issue.record("expected open"); return }
    }

    @Test func trafficPostponesIdleCloseAndTheTimerReArms() {
        var pool = SIPStreamConnectionPool(configuration: configuration)
        let generation = openEstablished(&pool, 1, port: 5060, at: t0)
        pool.activity(1, now: t0 + .seconds(30))  // a read
        let rearmed = pool.timerFired(1, .idle, generation: generation, now: t0 + .seconds(60))
        guard case .scheduleTimer(1, .idle, let at, let next) = rearmed.first, rearmed.count == 1 else {
            Issue.record("\(rearmed)")
            return
        }
        #expect(at == t0 + .seconds(90))
        #expect(next != generation)
        #expect(pool.acquire(key(5060), newID: 2, now: t0 + .seconds(70)) == .reuse(1))  // a write
        let again = pool.timerFired(1, .idle, generation: next, now: t0 + .seconds(90))
        guard case .scheduleTimer(1, .idle, let at2, let next2) = again.first else { Issue.record("\(again)"); return }
        #expect(at2 == t0 + .seconds(130))
        #expect(pool.timerFired(1, .idle, generation: next2, now: t0 + .seconds(130)) == [.close(1, .idle)])
    }

    @Test func staleTimersAreIgnored() {
        var pool = SIPStreamConnectionPool(configuration: configuration)
        guard case .open(1, let actions) = pool.acquire(key(5060), newID: 1, now: t0),
            case .scheduleTimer(1, .connect, _, let connectGeneration) = actions.first
        else { Issue.record("expected open"); return }
        let idleGeneration = pool.established(1, now: t0 + .milliseconds(10)).compactMap { action -> UInt64? in
            if case .scheduleTimer(_, .idle, _, let generation) = action { return generation }
            return nil
        }.first!
        // The connect deadline armed before the connection was established is stale now.
        #expect(pool.timerFired(1, .connect, generation: connectGeneration, now: t0 + .seconds(5)) == [])
        #expect(pool.count == 1)
        // After a re-arm, the earlier idle generation is stale as well.
        pool.activity(1, now: t0 + .seconds(50))
        let rearm = pool.timerFired(1, .idle, generation: idleGeneration, now: t0 + .seconds(61))
        #expect(rearm.count == 1)
        #expect(pool.timerFired(1, .idle, generation: idleGeneration, now: t0 + .seconds(200)) == [])
        #expect(pool.count == 1)
        // Timers of a connection that is gone are ignored, even with its current generation.
        pool.removed(1)
        #expect(pool.timerFired(1, .idle, generation: idleGeneration + 1, now: t0 + .seconds(500)) == [])
    }

    @Test func connectDeadlineClosesAConnectionThatNeverBecameUsable() {
        var pool = SIPStreamConnectionPool(configuration: configuration)
        guard case .open(1, let actions) = pool.acquire(key(5060), newID: 1, now: t0),
            case .scheduleTimer(1, .connect, let at, let generation) = actions.first
        else { Issue.record("expected open"); return }
        #expect(at == t0 + .seconds(5))
        #expect(pool.timerFired(1, .connect, generation: generation, now: at) == [.close(1, .connectTimeout)])
        #expect(pool.count == 0)
        #expect(pool.established(1, now: at) == [])  // too late: forgotten
    }

    @Test func capOnConnectionsCountsInboundAndOutbound() {
        var pool = SIPStreamConnectionPool(configuration: configuration)
        _ = openEstablished(&pool, 1, port: 5060, at: t0)
        #expect(pool.inboundOpened(2, key: SIPStreamConnectionKey(transport: .tcp, address: try! SocketAddress(ipAddress: "127.0.0.1", port: 40000)), now: t0) != nil)
        guard case .open(3, _) = pool.acquire(key(5062), newID: 3, now: t0) else { Issue.record("expected open"); return }
        #expect(pool.count == 3)
        #expect(pool.acquire(key(5063), newID: 4, now: t0) == .refuse(limit: 3))
        #expect(pool.inboundOpened(5, key: SIPStreamConnectionKey(transport: .tcp, address: try! SocketAddress(ipAddress: "127.0.0.1", port: 40001)), now: t0) == nil)
        // Existing connections are still reused at the cap.
        #expect(pool.acquire(key(5060), newID: 6, now: t0) == .reuse(1))
        pool.removed(3)
        guard case .open(7, _) = pool.acquire(key(5063), newID: 7, now: t0) else { Issue.record("expected open after a close"); return }
    }

    @Test func aReplyToAnInboundConnectionReusesIt() {
        var pool = SIPStreamConnectionPool(configuration: configuration)
        let peer = try! SocketAddress(ipAddress: "127.0.0.1", port: 40000)
        #expect(pool.inboundOpened(1, key: SIPStreamConnectionKey(transport: .tcp, address: peer), now: t0)?.count == 1)
        // Before the connection is usable (e.g. TLS handshake), a send waits; afterwards it reuses it.
        let destination = SIPStreamConnectionKey(SIPDestination(transport: .tcp, address: peer))
        #expect(pool.acquire(destination, newID: 2, now: t0) == .wait(1))
        _ = pool.established(1, now: t0)
        #expect(pool.acquire(destination, newID: 3, now: t0) == .reuse(1))
    }

    @Test func aDroppedConnectionIsReopenedOnTheNextSend() {
        var pool = SIPStreamConnectionPool(configuration: configuration)
        _ = openEstablished(&pool, 1, port: 5060, at: t0)
        pool.removed(1)
        pool.removed(1)  // reported twice: harmless
        #expect(pool.count == 0)
        guard case .open(2, _) = pool.acquire(key(5060), newID: 2, now: t0 + .seconds(1)) else { Issue.record("expected open"); return }
    }

    @Test func whenTheNewestInboundFromAnAddressClosesAnOlderOneServesIt() {
        var pool = SIPStreamConnectionPool(configuration: configuration)
        let from = SIPStreamConnectionKey(transport: .tcp, address: try! SocketAddress(ipAddress: "127.0.0.1", port: 40000))
        _ = pool.inboundOpened(1, key: from, now: t0)
        _ = pool.established(1, now: t0)
        _ = pool.inboundOpened(2, key: from, now: t0)
        _ = pool.established(2, now: t0)
        #expect(pool.connection(for: from) == 2)
        pool.removed(2)
        #expect(pool.connection(for: from) == 1)
        pool.removed(1)
        #expect(pool.connection(for: from) == nil)
    }
}
