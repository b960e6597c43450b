import Foundation
import LamplighterTestSupport
import PUAStore
import Synchronization
import Testing
@testable import Cluster

/// Two nodes competing for sharing tags as advisory locks on the real PostgreSQL of deploy/test.
@Suite struct TagLeaseServiceTests {
    final class Changes: Sendable {
        let list = Mutex<[String]>([])
        var all: [String] { list.withLock { $0 } }
        func record(_ tag: String, _ held: Bool) { list.withLock { $0.append((held ? "+" : "-") + tag) } }
    }

    func service(_ node: String, cluster: Int, own: [String], backup: [String], changes: Changes) -> TagLeaseService {
        TagLeaseService(
            url: TestServices.databaseURL, clusterID: cluster, node: node,
            configuration: .init(ownTags: own, backupTags: backup, checkInterval: .milliseconds(100), backupDelay: .milliseconds(300)),
            logger: .init(label: "test.cluster")
        ) { tag, held in changes.record(tag, held) }
    }

    static func eventually(_ timeout: Duration = .seconds(10), _ condition: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return await condition()
    }

    @Test func aBackupTakesTheTagWhenItsHolderGoesAndTheHolderComesBackAsBackup() async throws {
        let cluster = Int.random(in: 1000...60_000)
        let tag = UniqueNames.make("tag")
        let (changesA, changesB) = (Changes(), Changes())
        let a = service("node-a", cluster: cluster, own: [tag], backup: [], changes: changesA)
        let b = service("node-b", cluster: cluster, own: [], backup: [tag], changes: changesB)
        await a.start()
        #expect(await a.heldTags == [tag])
        #expect(changesA.all == ["+\(tag)"])
        let checksB = Task { await b.runChecks() }
        defer { checksB.cancel() }
        await b.start()
        try await Task.sleep(for: .milliseconds(600))
        #expect(await b.heldTags.isEmpty, "the holder is alive: no stealing")
        #expect(await b.holders() == [tag: "node-a"], "pg_locks names the holder")

        // A's session ends (its process died, or it stopped): B holds the tag within a check or two.
        await a.stop()
        #expect(changesA.all == ["+\(tag)", "-\(tag)"])
        #expect(await Self.eventually { await b.heldTags == [tag] })
        #expect(changesB.all == ["+\(tag)"])
        #expect(await b.holders() == [tag: "node-b"])

        // A comes back: its own tag is held by B, so A stays backup.
        let again = Changes()
        let a2 = service("node-a", cluster: cluster, own: [tag], backup: [], changes: again)
        let checksA = Task { await a2.runChecks() }
        defer { checksA.cancel() }
        await a2.start()
        try await Task.sleep(for: .milliseconds(500))
        #expect(await a2.heldTags.isEmpty && again.all.isEmpty)
        #expect(await b.heldTags == [tag])
        await b.stop()
        #expect(await Self.eventually { await a2.heldTags == [tag] }, "free again: the own tag is taken back")
        await a2.stop()
    }

    @Test func aLostSessionGivesEverythingUpAndTakesItBackOnANewOne() async throws {
        let cluster = Int.random(in: 1000...60_000)
        let tag = UniqueNames.make("tag")
        let changes = Changes()
        let node = UniqueNames.make("node")
        let a = service(node, cluster: cluster, own: [tag], backup: [], changes: changes)
        let checks = Task { await a.runChecks() }
        defer { checks.cancel() }
        await a.start()
        #expect(await a.heldTags == [tag])
        // The database ends the session (as a restart or a network cut would).
        let admin = try await TestServices.postgres()
        defer { Task { await admin.close() } }
        _ = try await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", ["lamplighter:\(node)"])
        #expect(await Self.eventually { changes.all.count >= 3 }, "\(changes.all)")
        #expect(changes.all.prefix(3) == ["+\(tag)", "-\(tag)", "+\(tag)"], "given up at once, taken again on a new session")
        #expect(await a.heldTags == [tag])
        await a.stop()
    }
}
