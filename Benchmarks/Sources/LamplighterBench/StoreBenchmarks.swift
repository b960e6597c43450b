import Glibc
// Write-behind and recovery against a real PostgreSQL (the deploy/ stack's, or any URL given).
import Logging
import PUACore
import PUAStore
import SIPCore
import SIPStack

#if canImport(Glibc)
#endif

struct StoreFigure {
    var rows: Int
    var upsert: Duration
    var load: Duration
    var recover: Duration
    var resumed: Int
    var rssBefore: Int
    var rssAfter: Int
    var upsertPerSecond: Double { Double(rows) / max(upsert.seconds, 1e-9) }
}

/// A transport that is never used: recovered publications the server still holds send nothing.
struct UnusedTransport: PublishTransport {
    func send(_ request: SIPRequest, nextHop: SIPURI?) async throws(SIPTransactionError) -> SIPResponse {
        throw SIPTransactionError(code: .transportError, context: "the store benchmark sends no PUBLISH")
    }
}

enum StoreBenchmarks {
    /// Upserts `rows` publications in batches of 1000 into a table of their own, loads them back, and recovers
    /// them into a fresh engine (all still valid at the server, so each is resumed, not re-published).
    static func run(url: String, rows: Int) async throws -> StoreFigure {
        let connection = try await PostgresConnection.connect(url: url)
        let second = try await PostgresConnection.connect(url: url)
        let table = "bench_pua_\(getpid())"
        try await connection.executeScript("DROP TABLE IF EXISTS \(table); CREATE TABLE \(table) (LIKE pua INCLUDING ALL)")
        defer { Task { try? await connection.executeScript("DROP TABLE IF EXISTS \(table)"); await connection.close(); await second.close() } }
        // As the daemon's store: two connections, engine batches of 10,000 rows in statements of 1,000.
        let store = PostgresPresentityStore(connections: [connection, second], table: table)
        let now = 1_795_770_000.0
        let body = Array(#"<?xml version="1.0" encoding="UTF-8"?><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:x@pbx"><tuple id="t1"><status><basic>open</basic></status><contact>sip:x@192.0.2.10:5060</contact></tuple></presence>"#.utf8)
        func snapshot(_ n: Int) -> PublicationSnapshot {
            PublicationSnapshot(
                key: PublicationKey(presentity: "sip:ext\(n)@pbx.example.com", event: "presence"), state: .published, etag: "e\(n)",
                grantedExpires: 3600, expiresAt: now + 3000, desiredExpires: 3600, body: body, contentType: "application/pidf+xml",
                version: 3, tupleID: "t\(n)", lastReply: PublicationReply(statusCode: 200, reason: "OK", receivedAt: now - 600),
                lastFailure: nil, hasPendingUpdate: false, source: .registrations, sharingTag: nil, extraHeaders: [],
                outboundProxy: nil, sourceDigest: BodyDigest(of: body), callID: "p\(n)@lamplighter", fromTag: "f\(n)", cseq: 7)
        }
        let clock = ContinuousClock()
        let start = clock.now
        for first in stride(from: 0, to: rows, by: 10_000) {
            try await store.upsert((first..<min(first + 10_000, rows)).map(snapshot))
        }
        let upsert = clock.now - start
        let load: Duration
        do {
            let loadStart = clock.now
            let loaded = try await store.loadAll()
            load = clock.now - loadStart
            guard loaded.count == rows else { throw BenchError("loaded \(loaded.count) of \(rows) rows") }
        }
        // The loaded copy is gone; hand its memory back so the RSS difference below is the engine's.
        _ = glibcMallocTrim(0)

        var logger = Logger(label: "lamplighter-bench.store")
        logger.logLevel = .error
        let rssBefore = currentRSSBytes()
        let engine = PublicationEngine(
            configuration: .init(hashSize: 16), transport: UnusedTransport(), store: store, logger: logger,
            wallClock: { now })
        let recoverStart = clock.now
        let counts = try await engine.recover()
        let recover = clock.now - recoverStart
        let rssAfter = currentRSSBytes()
        return StoreFigure(
            rows: rows, upsert: upsert, load: load, recover: recover, resumed: counts.resumed, rssBefore: rssBefore, rssAfter: rssAfter)
    }
}

/// glibc's malloc_trim (not in the Glibc module map): returns freed heap pages to the system.
@_silgen_name("malloc_trim")
func glibcMallocTrim(_ pad: Int) -> Int32
