import Testing
@testable import Cluster

/// The sharing-tag leases as scripts: events in, actions out, time injected.
@Suite struct TagLeasesTests {
    let t0 = ContinuousClock.now
    func at(_ seconds: Double) -> ContinuousClock.Instant { t0 + .milliseconds(Int(seconds * 1000)) }

    func leases() -> TagLeases {
        TagLeases(configuration: .init(ownTags: ["a"], backupTags: ["b", "a"], checkInterval: .seconds(1), backupDelay: .seconds(3)))
    }

    @Test func theOwnTagIsTriedAtOnceAndBackupsOnlyAfterTheDelay() {
        var sm = leases()
        #expect(sm.configuration.backupTags == ["b"], "an own tag is not also a backup")
        #expect(sm.start(now: t0) == [.tryAcquire(["a"])])
        #expect(sm.start(now: t0) == [], "started once")
        #expect(sm.attemptFinished(acquired: ["a"], now: t0) == [.activate("a"), .scheduleCheck(at: at(1), generation: 1)])
        #expect(sm.held == ["a"])
        #expect(sm.checkDue(generation: 1, now: at(1)) == [.tryAcquire([])], "only the session is checked")
        #expect(sm.attemptFinished(acquired: [], now: at(1)) == [.scheduleCheck(at: at(2), generation: 2)])
        #expect(sm.checkDue(generation: 1, now: at(2)) == [], "a stale check is dropped")
        _ = sm.checkDue(generation: 2, now: at(2))
        _ = sm.attemptFinished(acquired: [], now: at(2))
        #expect(sm.checkDue(generation: 3, now: at(3)) == [.tryAcquire(["b"])], "the backup tag after 3 s")
        // Another node holds b: nothing changes, it is tried again at every check.
        #expect(sm.attemptFinished(acquired: [], now: at(3)) == [.scheduleCheck(at: at(4), generation: 4)])
        #expect(sm.checkDue(generation: 4, now: at(4)) == [.tryAcquire(["b"])])
        // Its holder died: b is taken over.
        #expect(sm.attemptFinished(acquired: ["b"], now: at(4)) == [.activate("b"), .scheduleCheck(at: at(5), generation: 5)])
        #expect(sm.held == ["a", "b"])
    }

    @Test func aNodeWhoseOwnTagIsHeldElsewhereStaysBackupUntilItIsFree() {
        var sm = leases()
        _ = sm.start(now: t0)
        #expect(sm.attemptFinished(acquired: [], now: t0) == [.scheduleCheck(at: at(1), generation: 1)])
        #expect(sm.held.isEmpty)
        #expect(sm.checkDue(generation: 1, now: at(1)) == [.tryAcquire(["a"])], "tried again, never taken by force")
    }

    @Test func aLostSessionGivesUpEveryTagAtOnce() {
        var sm = leases()
        _ = sm.start(now: t0)
        _ = sm.attemptFinished(acquired: ["a"], now: t0)
        _ = sm.checkDue(generation: 1, now: at(3))
        _ = sm.attemptFinished(acquired: ["b"], now: at(3))
        _ = sm.checkDue(generation: 2, now: at(4))
        #expect(sm.sessionLost(now: at(4)) == [.deactivate("a"), .deactivate("b"), .scheduleCheck(at: at(5), generation: 3)])
        #expect(sm.held.isEmpty)
        #expect(sm.checkDue(generation: 3, now: at(5)) == [.tryAcquire(["a", "b"])], "a new session tries again")
        #expect(sm.attemptFinished(acquired: ["a"], now: at(5)) == [.activate("a"), .scheduleCheck(at: at(6), generation: 4)])
    }

    @Test func stoppingReleasesEverythingAndEndsTheChecks() {
        var sm = leases()
        _ = sm.start(now: t0)
        _ = sm.attemptFinished(acquired: ["a"], now: t0)
        #expect(sm.stop() == [.deactivate("a")])
        #expect(sm.state == .stopped)
        #expect(sm.checkDue(generation: 1, now: at(1)) == [])
        #expect(sm.attemptFinished(acquired: ["b"], now: at(1)) == [])
        #expect(sm.stop() == [])
    }
}
