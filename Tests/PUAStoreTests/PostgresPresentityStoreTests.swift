import LamplighterTestSupport
import PUACore
import SIPCore
import Synchronization
import Testing
@testable import PUAStore

/// The `pua` table on the real PostgreSQL of deploy/test (migrations applied by it). Tests share the table,
/// so each uses presentities of its own and reads back only those.
@Suite struct PostgresPresentityStoreTests {
    func snapshot(_ user: String, etag: String? = "e1", body: [UInt8] = Array("<presence/>".utf8)) -> PublicationSnapshot {
        PublicationSnapshot(
            key: PublicationKey(presentity: "sip:\(user)@127.0.0.1", event: "presence", id: ""), state: .published, etag: etag,
            grantedExpires: 600, expiresAt: 1_795_770_000, desiredExpires: 3600, body: body,
            contentType: "application/pidf+xml", version: 4, tupleID: "t\(user)",
            lastReply: PublicationReply(statusCode: 200, reason: "OK", receivedAt: 1_795_769_400.5), lastFailure: nil,
            hasPendingUpdate: false, source: .registrations, sharingTag: "site-a",
            extraHeaders: [SIPHeaders.Field(name: "X-Site", value: "north; 'quoted' \"too\"")],
            outboundProxy: SIPURI(host: "127.0.0.1", port: 5070), sourceDigest: BodyDigest(of: Array("raw".utf8)),
            callID: "c-\(user)@lamplighter", fromTag: "f\(user)", cseq: 41)
    }

    func mine(_ store: PostgresPresentityStore, _ users: [String]) async throws -> [String: PublicationSnapshot] {
        let wanted = Set(users.map { "sip:\($0)@127.0.0.1" })
        var found: [String: PublicationSnapshot] = [:]
        for snapshot in try await store.loadAll() where wanted.contains(snapshot.key.presentity) {
            found[snapshot.key.presentity] = snapshot
        }
        return found
    }

    @Test func publicationsRoundTripAndAreUpdatedAndDeletedInBatches() async throws {
        let connection = try await TestServices.postgres()
        defer { Task { await connection.close() } }
        let store = PostgresPresentityStore(connection: connection)
        let users = (0..<3).map { _ in UniqueNames.make("store") }
        let binary: [UInt8] = [0, 1, 2, 0xFF, 0x5C, 0x27]
        var originals = users.map { snapshot($0) }
        originals[1].etag = nil
        originals[1].body = binary
        originals[2].extraHeaders = []
        originals[2].outboundProxy = nil
        originals[2].lastReply = PublicationReply(statusCode: nil, reason: "timeout: no final response", receivedAt: 1_795_769_999)
        try await store.upsert(originals)
        var stored = try await mine(store, users)
        #expect(stored.count == 3)
        for original in originals {
            #expect(stored[original.key.presentity] == original, "\(original.key)")
        }

        // A newer state replaces the row.
        var changed = originals[0]
        changed.etag = "e2"
        changed.version = 5
        changed.state = .failed
        try await store.upsert([changed])
        stored = try await mine(store, users)
        #expect(stored[changed.key.presentity] == changed)

        try await store.delete([originals[0].key, originals[1].key, PublicationKey(presentity: "sip:nobody@x", event: "presence")])
        stored = try await mine(store, users)
        #expect(Array(stored.keys) == [originals[2].key.presentity])
        try await store.delete([originals[2].key])
    }

    @Test func aThousandRowsGoInOneStatement() async throws {
        let connection = try await TestServices.postgres()
        defer { Task { await connection.close() } }
        let store = PostgresPresentityStore(connection: connection)
        let prefix = UniqueNames.make("bulk")
        let users = (0..<1000).map { "\(prefix)_\($0)" }
        try await store.upsert(users.map { snapshot($0) })
        #expect(try await mine(store, users).count == 1000)
        try await store.delete(users.map { PublicationKey(presentity: "sip:\($0)@127.0.0.1", event: "presence") })
        #expect(try await mine(store, users).isEmpty)
    }

    @Test func batchesSplitIntoFullStatementsAndPowersOfTwo() {
        #expect(PostgresPresentityStore.chunks(0, max: 1000) == [])
        #expect(PostgresPresentityStore.chunks(1000, max: 1000) == [0..<1000])
        #expect(PostgresPresentityStore.chunks(7, max: 1000) == [0..<4, 4..<6, 6..<7])
        let ranges = PostgresPresentityStore.chunks(2_777, max: 1000)
        #expect(ranges.map(\.count) == [1000, 1000, 512, 256, 8, 1])
        #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound } && ranges.last?.upperBound == 2_777)
    }

    @Test func aNodeLoadsItsOwnRowsUnownedRowsAndRowsOfItsSharingTags() async throws {
        let connection = try await TestServices.postgres()
        let table = UniqueNames.make("pua_nodes")
        try await connection.executeScript("CREATE TABLE \(table) (LIKE pua INCLUDING ALL)")
        defer { Task { try? await connection.executeScript("DROP TABLE \(table)"); await connection.close() } }
        let a = PostgresPresentityStore(connection: connection, table: table, node: "node-a")
        let b = PostgresPresentityStore(connection: connection, table: table, node: "node-b", sharingTags: ["site-\"b\"", "site-c"])
        let anyone = PostgresPresentityStore(connection: connection, table: table)
        var ofA = snapshot("a1")
        ofA.sharingTag = "site-a"
        var sharedWithB = snapshot("a2")
        sharedWithB.sharingTag = "site-c"
        var ofB = snapshot("b1")
        ofB.sharingTag = nil
        try await a.upsert([ofA, sharedWithB])
        try await b.upsert([ofB])
        var unowned = snapshot("u1")
        unowned.sharingTag = nil
        try await anyone.upsert([unowned])
        let users = { (store: PostgresPresentityStore) in try await store.loadAll().map(\.key.presentity).sorted() }
        #expect(try await users(a) == ["sip:a1@127.0.0.1", "sip:a2@127.0.0.1", "sip:u1@127.0.0.1"])
        #expect(try await users(b) == ["sip:a2@127.0.0.1", "sip:b1@127.0.0.1", "sip:u1@127.0.0.1"])
        #expect(try await users(anyone).count == 4)
        let nodes = try await connection.query("SELECT pres_uri, node, flag FROM \(table) ORDER BY pres_uri")
        #expect(nodes.rows == [
            ["sip:a1@127.0.0.1", "node-a", "1"], ["sip:a2@127.0.0.1", "node-a", "1"], ["sip:b1@127.0.0.1", "node-b", "1"],
            ["sip:u1@127.0.0.1", nil, "1"],
        ])
    }

    @Test func aRowThatCannotBeReadBackIsCorruptNamingTheTable() async throws {
        let connection = try await TestServices.postgres()
        let table = UniqueNames.make("pua_corrupt")
        // Without the state CHECK constraint, so a row can hold a state the store does not know.
        try await connection.executeScript("CREATE TABLE \(table) (LIKE pua INCLUDING DEFAULTS INCLUDING INDEXES)")
        defer { Task { try? await connection.executeScript("DROP TABLE \(table)"); await connection.close() } }
        let store = PostgresPresentityStore(connection: connection, table: table)
        try await store.upsert([snapshot("ok"), snapshot("broken")])
        try await connection.query("UPDATE \(table) SET state = 'sideways' WHERE pres_uri = $1", ["sip:broken@127.0.0.1"])
        await #expect {
            try await store.loadAll()
        } throws: { error in
            guard let error = error as? PresentityStoreError else { return false }
            return error.code == .corrupt && error.context.contains("1 rows of \(table)")
        }
    }

    @Test func aLostDatabaseIsUnavailableNotCorrupt() async throws {
        let connection = try await TestServices.postgres()
        let store = PostgresPresentityStore(connection: connection)
        await connection.close()
        await #expect {
            try await store.upsert([snapshot(UniqueNames.make("gone"))])
        } throws: { error in
            (error as? PresentityStoreError)?.code == .unavailable
        }
    }
}

@Suite struct ReconnectingPostgresStoreTests {
    @Test func anUnreachableDatabaseIsUnavailableAndNotRetriedBeforeTheInterval() async throws {
        let store = ReconnectingPostgresStore(url: "postgresql://lamplighter@127.0.0.1:1/lamplighter", table: "pua", retryInterval: .seconds(60))
        await #expect {
            try await store.loadAll()
        } throws: { error in
            guard let error = error as? PresentityStoreError else { return false }
            return error.code == .unavailable && error.context.hasPrefix("connecting")
        }
        await #expect {
            try await store.upsert([])
        } throws: { error in
            (error as? PresentityStoreError)?.context.contains("next attempt within") == true
        }
        #expect(await store.isConnected == false)
    }

    @Test func reconnectionAttemptsBackOffExponentiallyUpToTheCap() async throws {
        let now = Mutex(ContinuousClock.now)
        let store = ReconnectingPostgresStore(
            url: "postgresql://lamplighter@127.0.0.1:1/lamplighter?connect_timeout=1", table: "pua", retryInterval: .seconds(1),
            maxRetryInterval: .seconds(4), clock: { now.withLock { $0 } })
        func attempt() async -> String {
            do {
                try await store.delete([])
                return "connected"
            } catch {
                return error.context
            }
        }
        // Each failed attempt doubles the wait (1, 2, 4, then capped at 4); calls in between do not try.
        for wait in [1, 2, 4, 4] {
            #expect(await attempt().hasPrefix("connecting"), "an attempt is made")
            now.withLock { $0 += .seconds(wait) - .milliseconds(1) }
            #expect(await attempt().contains("next attempt within"), "no attempt \(wait) s minus 1 ms later")
            now.withLock { $0 += .milliseconds(1) }
        }
    }

    @Test func itConnectsOnFirstUse() async throws {
        let store = ReconnectingPostgresStore(url: TestServices.databaseURL, table: "pua")
        let key = PublicationKey(presentity: "sip:\(UniqueNames.make("rc"))@127.0.0.1", event: "presence")
        try await store.delete([key])
        #expect(await store.isConnected)
        #expect(try await store.loadAll().contains { $0.key == key } == false)
    }
}

/// The feed adapters' state in `pua_feed_state` (shared by tests: each uses a node name of its own).
@Suite struct PostgresFeedStateTests {
    @Test func entriesAreWrittenReplacedDeletedAndLoadedPerNode() async throws {
        let connection = try await TestServices.postgres()
        let node = UniqueNames.make("fs-node")
        let other = UniqueNames.make("fs-other")
        defer {
            Task {
                _ = try? await connection.query("DELETE FROM pua_feed_state WHERE node = ANY($1::text[])", [PostgresBindings.textArray([node, other])])
                await connection.close()
            }
        }
        let store = PostgresPresentityStore(connection: connection, node: node)
        let elsewhere = PostgresPresentityStore(connection: connection, node: other)
        let aor = "sip:\(node)@127.0.0.1"
        let first = FeedStateRecord(feed: "registrations", key: aor, state: Array(#"{"uri":"\#(aor)","contacts":{}}"#.utf8))
        let dialog = FeedStateRecord(feed: "dialogs", key: "call;tag", state: Array(#"{"endedAt":1790000001}"#.utf8))
        try await store.writeFeedState([first, dialog], deleting: [])
        try await elsewhere.writeFeedState([FeedStateRecord(feed: "mwi", key: "sip:\(other)@127.0.0.1", state: Array("{}".utf8))], deleting: [])

        var loaded = try await store.loadFeedState()
        #expect(Set(loaded.map(\.id)) == [first.id, dialog.id], "only this node's entries")
        // Stored as JSONB: read back equal as JSON, and queryable by operators.
        let contacts = try await connection.query(
            "SELECT state->>'uri' FROM pua_feed_state WHERE feed = 'registrations' AND key = $1", [aor])
        #expect(contacts.rows == [[aor]])

        var replaced = first
        replaced.state = Array(#"{"uri":"\#(aor)","contacts":{"sip:a@192.0.2.1":{"expiresAt":1}}}"#.utf8)
        try await store.writeFeedState([replaced], deleting: [dialog.id])
        loaded = try await store.loadFeedState()
        #expect(loaded.map(\.id) == [first.id])
        let json = String(decoding: try #require(loaded.first).state, as: UTF8.self)
        #expect(json.contains("192.0.2.1"))
    }

    @Test func anEntryForATableNoAdapterKeepsIsRejectedByTheDatabase() async throws {
        let connection = try await TestServices.postgres()
        defer { Task { await connection.close() } }
        let store = PostgresPresentityStore(connection: connection, node: UniqueNames.make("fs-bad"))
        await #expect {
            try await store.writeFeedState([FeedStateRecord(feed: "calendars", key: "k", state: Array("{}".utf8))], deleting: [])
        } throws: { error in
            guard let error = error as? PresentityStoreError else { return false }
            return error.code == .rejected && error.context.contains("23514")
        }
        await #expect {
            try await store.writeFeedState([FeedStateRecord(feed: "mwi", key: "k", state: Array("{not json".utf8))], deleting: [])
        } throws: { error in
            (error as? PresentityStoreError)?.code == .rejected
        }
    }
}
