import Foundation
import PUACore
import SIPCore

/// ``PresentityStore`` on the `pua` table (`database.table`): multi-row statements prepared once per size
/// (bound parameters only, bodies in binary; the table name is a configuration identifier, validated and
/// quoted), each statement its own transaction. Rows carry the writing node's name; loading reads the rows of
/// this node, rows of no node, and rows carrying one of its sharing tags (or every row, for a node alone).
public actor PostgresPresentityStore: PresentityStore {
    /// Statements of one batch run on these connections side by side (the server's work per row dominates, so
    /// two connections on two cores flush about twice as fast); loading uses the first.
    let connections: [PostgresConnection]
    var connection: PostgresConnection { connections[0] }
    let table: String
    /// The feed adapters' state table (`pua_feed_state`).
    let feedStateTable: String
    /// Written into `node`; nil stores and loads every row (a node alone).
    let node: String?
    /// Rows with these sharing tags are loaded whatever node wrote them.
    let sharingTags: [String]
    /// Load every row whatever its node (a node alone, outside a cluster); else rows of `node`, of no node, and of `sharingTags`.
    let loadsEveryNode: Bool
    /// Rows per statement at most; full batches use one prepared statement, the rest is split into powers of two.
    let maxRowsPerStatement: Int
    /// Statements built so far, by kind and row count (building one of 25,000 placeholders is not free).
    private var statements: [String: PostgresStatement] = [:]
    var quotedTable: String { Self.quoted(table) }
    var quotedFeedStateTable: String { Self.quoted(feedStateTable) }

    static func quoted(_ identifier: String) -> String { "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    static let columns = [
        "pres_uri", "event", "pres_id", "etag", "expires", "desired_expires", "body", "content_type", "version",
        "tuple_id", "last_code", "last_reason", "last_reply_at", "source", "sharing_tag", "extra_headers", "outbound_proxy",
        "granted_expires", "state", "source_body", "node", "flag", "call_id", "from_tag", "cseq",
    ]
    /// How each column's parameter is written (casts make the prepared types explicit).
    static let placeholders = [
        "%::text", "%::text", "%::text", "%::text", "%::bigint", "%::integer", "%::bytea", "%::text", "%::bigint",
        "%::text", "%::integer", "%::text", "to_timestamp(%::double precision)", "%::text", "%::text", "%::text", "%::text",
        "%::integer", "%::text", "%::bytea", "%::text", "%::integer", "%::text", "%::text", "%::bigint",
    ]

    /// `table` must be an identifier (the configuration checks `database.table`).
    public init(
        connection: PostgresConnection, table: String = "pua", feedStateTable: String = "pua_feed_state", node: String? = nil,
        sharingTags: [String] = [], loadsEveryNode: Bool = false, maxRowsPerStatement: Int = 1000
    ) {
        self.init(
            connections: [connection], table: table, feedStateTable: feedStateTable, node: node, sharingTags: sharingTags,
            loadsEveryNode: loadsEveryNode, maxRowsPerStatement: maxRowsPerStatement)
    }

    /// One store over several connections (at least one).
    public init(
        connections: [PostgresConnection], table: String = "pua", feedStateTable: String = "pua_feed_state", node: String? = nil,
        sharingTags: [String] = [], loadsEveryNode: Bool = false, maxRowsPerStatement: Int = 1000
    ) {
        precondition(!connections.isEmpty, "a store needs a connection")
        for name in [table, feedStateTable] {
            precondition(name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }, "database.table is checked by configuration")
        }
        precondition(maxRowsPerStatement > 0 && maxRowsPerStatement * Self.columns.count < 65_536, "libpq binds at most 65535 parameters")
        self.connections = connections
        self.table = table
        self.feedStateTable = feedStateTable
        self.node = node
        self.sharingTags = sharingTags
        self.loadsEveryNode = loadsEveryNode
        self.maxRowsPerStatement = maxRowsPerStatement
    }

    public func upsert(_ publications: [PublicationSnapshot]) async throws(PresentityStoreError) {
        let work = Self.chunks(publications.count, max: maxRowsPerStatement).map { chunk in
            var bindings = PostgresBindings(reservingBytes: chunk.count * 1024, values: chunk.count * Self.columns.count)
            for publication in publications[chunk] { bind(publication, into: &bindings) }
            return (upsertStatement(rows: chunk.count), bindings)
        }
        try await run(work, doing: "upserting \(publications.count) publications")
    }

    public func delete(_ keys: [PublicationKey]) async throws(PresentityStoreError) {
        let work = Self.chunks(keys.count, max: maxRowsPerStatement).map { chunk in
            var bindings = PostgresBindings(reservingBytes: chunk.count * 64, values: chunk.count * 3)
            for key in keys[chunk] {
                bindings.append(key.presentity)
                bindings.append(key.event)
                bindings.append(key.id)
            }
            return (deleteStatement(rows: chunk.count), bindings)
        }
        try await run(work, doing: "deleting \(keys.count) publications")
    }

    public func loadAll() async throws(PresentityStoreError) -> [PublicationSnapshot] {
        let (batches, sink) = AsyncStream.makeStream(of: [PublicationSnapshot].self)
        try await load(into: sink)
        sink.finish()
        var all: [PublicationSnapshot] = []
        for await batch in batches { all += batch }
        return all
    }

    public func load(into sink: AsyncStream<[PublicationSnapshot]>.Continuation) async throws(PresentityStoreError) {
        var sql = "SELECT \(Self.selectedColumns) FROM \(quotedTable) WHERE watcher_uri = ''"
        var bindings = PostgresBindings()
        appendNodeFilter(to: &sql, &bindings)
        let rejected: Int
        do {
            rejected = try await connection.fetchBatches(sql, bindings, decode: { row in Self.snapshot(row) }, deliver: { sink.yield($0) })
        } catch {
            throw Self.storeError(error, doing: "loading publications")
        }
        guard rejected == 0 else {
            throw PresentityStoreError(code: .corrupt, context: "\(rejected) rows of \(table) cannot be read back")
        }
    }

    /// Every row of `sql`, decoded; a row `decode` cannot read makes the load fail `corrupt`, naming `table`.
    func loadRows<T: Sendable>(
        _ sql: String, _ bindings: PostgresBindings, what: String, table: String,
        decode: @escaping @Sendable (borrowing PostgresRowReader) -> T?
    ) async throws(PresentityStoreError) -> [T] {
        let loaded: (rows: [T], rejected: Int)
        do {
            loaded = try await connection.fetchAll(sql, bindings, decode: decode)
        } catch {
            throw Self.storeError(error, doing: "loading \(what)")
        }
        guard loaded.rejected == 0 else {
            throw PresentityStoreError(code: .corrupt, context: "\(loaded.rejected) rows of \(what) in \(table) cannot be read back")
        }
        return loaded.rows
    }

    /// Restricts a query of the table (that already has a WHERE) to this node's rows: its own, of no node, and
    /// of its sharing tags; nothing for a node that loads every row.
    func appendNodeFilter(to sql: inout String, _ bindings: inout PostgresBindings) {
        guard let node, !loadsEveryNode else { return }
        sql += " AND (node = $1 OR node IS NULL OR sharing_tag = ANY($2::text[]))"
        bindings.append(node)
        bindings.append(PostgresBindings.textArray(sharingTags))
    }

    /// The columns ``snapshot(_:)`` reads, in its order.
    static let selectedColumns = "pres_uri, event, pres_id, etag, expires, desired_expires, body, content_type, version, tuple_id, "
        + "last_code, last_reason, extract(epoch FROM last_reply_at)::double precision, source, sharing_tag, extra_headers, "
        + "outbound_proxy, granted_expires, state, source_body, call_id, from_tag, cseq"

    public func load(keys: [PublicationKey]) async throws(PresentityStoreError) -> [PublicationSnapshot] {
        guard !keys.isEmpty else { return [] }
        var bindings = PostgresBindings()
        bindings.append(PostgresBindings.textArray(keys.map(\.presentity)))
        bindings.append(PostgresBindings.textArray(keys.map(\.event)))
        bindings.append(PostgresBindings.textArray(keys.map(\.id)))
        let sql = "SELECT \(Self.selectedColumns) FROM \(quotedTable) WHERE watcher_uri = '' AND (pres_uri, event, pres_id) IN "
            + "(SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))"
        return try await loadRows(sql, bindings, what: "publications", table: table) { row in Self.snapshot(row) }
    }

    public func load(sharingTag: String) async throws(PresentityStoreError) -> [PublicationSnapshot] {
        var bindings = PostgresBindings()
        bindings.append(sharingTag)
        let sql = "SELECT \(Self.selectedColumns) FROM \(quotedTable) WHERE watcher_uri = '' AND sharing_tag = $1"
        return try await loadRows(sql, bindings, what: "publications", table: table) { row in Self.snapshot(row) }
    }

    /// Runs the statements, spread over the connections (each connection runs its share in order; each statement
    /// is its own transaction). The first failure is thrown after every connection finished its share.
    func run(_ work: [(PostgresStatement, PostgresBindings)], doing what: String) async throws(PresentityStoreError) {
        guard !work.isEmpty else { return }
        let lanes = min(connections.count, work.count)
        let failure = await withTaskGroup(of: PostgresError?.self) { group -> PostgresError? in
            for lane in 0..<lanes {
                let connection = connections[lane]
                let share = stride(from: lane, to: work.count, by: lanes).map { work[$0] }
                group.addTask {
                    for (statement, bindings) in share {
                        do throws(PostgresError) {
                            try await connection.execute(statement, bindings)
                        } catch {
                            return error
                        }
                    }
                    return nil
                }
            }
            var first: PostgresError?
            for await failure in group where first == nil { first = failure }
            return first
        }
        if let failure { throw Self.storeError(failure, doing: what) }
    }

    static func storeError(_ error: PostgresError, doing what: String) -> PresentityStoreError {
        switch error.code {
        case .connectFailed, .connectionLost, .closed: PresentityStoreError(code: .unavailable, context: "\(what): \(error)")
        default: PresentityStoreError(code: .rejected, context: "\(what): \(error)")
        }
    }

    // MARK: - Statements

    /// Ranges of at most `max` rows: full ones, then the rest in descending powers of two (so a handful of
    /// statement shapes covers every batch and each is prepared once).
    static func chunks(_ count: Int, max: Int) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        while count - start >= max {
            ranges.append(start..<start + max)
            start += max
        }
        var size = 1
        while size * 2 <= count - start { size *= 2 }
        while start < count {
            if count - start >= size {
                ranges.append(start..<start + size)
                start += size
            }
            size /= 2
        }
        return ranges
    }

    func upsertStatement(rows: Int) -> PostgresStatement {
        let name = "lamplighter_upsert_\(table)_\(rows)"
        if let statement = statements[name] { return statement }
        var values: [String] = []
        values.reserveCapacity(rows)
        for row in 0..<rows {
            let base = row * Self.columns.count
            values.append("(" + Self.placeholders.enumerated().map { column, shape in
                shape.replacingOccurrences(of: "%", with: "$\(base + column + 1)")
            }.joined(separator: ", ") + ")")
        }
        let updates = Self.columns.dropFirst(3).map { "\($0) = EXCLUDED.\($0)" }.joined(separator: ", ")
        let statement = PostgresStatement(
            name: name,
            sql: "INSERT INTO \(quotedTable) (\(Self.columns.joined(separator: ", "))) VALUES \(values.joined(separator: ", ")) "
                + "ON CONFLICT (pres_uri, event, pres_id, watcher_uri) DO UPDATE SET \(updates), updated_at = now()")
        statements[name] = statement
        return statement
    }

    func deleteStatement(rows: Int) -> PostgresStatement {
        let name = "lamplighter_delete_\(table)_\(rows)"
        if let statement = statements[name] { return statement }
        let values = (0..<rows).map { "($\($0 * 3 + 1)::text, $\($0 * 3 + 2)::text, $\($0 * 3 + 3)::text)" }
        let statement = PostgresStatement(
            name: name,
            sql: "DELETE FROM \(quotedTable) AS p USING (VALUES \(values.joined(separator: ", "))) AS d(pres_uri, event, pres_id) "
                + "WHERE p.pres_uri = d.pres_uri AND p.event = d.event AND p.pres_id = d.pres_id AND p.watcher_uri = ''")
        statements[name] = statement
        return statement
    }

    // MARK: - Rows

    func bind(_ publication: PublicationSnapshot, into bindings: inout PostgresBindings) {
        bindings.append(publication.key.presentity)
        bindings.append(publication.key.event)
        bindings.append(publication.key.id)
        bindings.append(publication.etag)
        bindings.append(publication.expiresAt.map { Int64($0.rounded(.down)) })
        bindings.append(publication.desiredExpires ?? 0)
        bindings.append(bytes: publication.body ?? [])
        bindings.append(publication.contentType)
        bindings.append((publication.version ?? 0) + (publication.body == nil ? 0 : 1))
        bindings.append(publication.tupleID)
        bindings.append(publication.lastReply?.statusCode)
        bindings.append(publication.lastReply?.reason)
        bindings.append(publication.lastReply.map { String($0.receivedAt) })
        bindings.append(publication.source.rawValue)
        bindings.append(publication.sharingTag)
        bindings.append(publication.extraHeaders.isEmpty ? nil : publication.extraHeaders.map { "\($0.name): \($0.value)" }.joined(separator: "\r\n"))
        bindings.append(publication.outboundProxy?.description)
        bindings.append(publication.grantedExpires)
        bindings.append(Self.stateName(publication.state))
        bindings.append(bytes: publication.sourceDigest?.bytes)
        bindings.append(node)
        bindings.append(Self.flag(of: publication))
        bindings.append(publication.callID)
        bindings.append(publication.fromTag)
        bindings.append(publication.cseq)
    }

    /// The pua flag (`pua/hash.h` of OpenSIPS and Kamailio) of the module that would have made this publication.
    static func flag(of publication: PublicationSnapshot) -> Int {
        switch (publication.source, publication.key.event) {
        case (.registrations, _): 1 << 0  // UL_PUBLISH
        case (.dialogs, "dialog;sla"): 1 << 1  // BLA_PUBLISH
        case (.dialogs, _): 1 << 10  // DIALOG_PUBLISH
        default: 1 << 6  // MI_PUBLISH (API and other sources)
        }
    }

    static func snapshot(_ row: borrowing PostgresRowReader) -> PublicationSnapshot? {
        guard let presentity = row.text(0), let event = row.text(1), let contentType = row.text(7), let body = row.bytes(6),
              let tupleID = row.text(9), let sourceName = row.text(13), let nextVersion = row.integer(8),
              let state = row.text(18).flatMap(state(named:))
        else { return nil }
        let reply = row.double(12).map { at in
            PublicationReply(statusCode: row.integer(10).map { Int($0) }, reason: row.text(11) ?? "", receivedAt: at)
        }
        let headers = (row.text(15) ?? "").components(separatedBy: "\r\n").compactMap { line -> SIPHeaders.Field? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return SIPHeaders.Field(name: String(line[..<colon]), value: line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let desired = row.integer(5).map { Int($0) }
        return PublicationSnapshot(
            key: PublicationKey(presentity: presentity, event: event, id: row.text(2) ?? ""), state: state, etag: row.text(3),
            grantedExpires: row.integer(17).map { Int($0) }, expiresAt: row.integer(4).map { Double($0) },
            desiredExpires: desired == 0 ? nil : desired,
            body: body.isEmpty ? nil : body, contentType: contentType, version: nextVersion <= 0 ? nil : UInt64(nextVersion - 1),
            tupleID: tupleID, lastReply: reply, lastFailure: nil, hasPendingUpdate: false,
            source: PublicationSource(rawValue: sourceName), sharingTag: row.text(14), extraHeaders: headers,
            outboundProxy: row.text(16).flatMap { try? SIPURI(parsing: $0) },
            sourceDigest: row.bytes(19).map(BodyDigest.init(stored:)), callID: row.text(20), fromTag: row.text(21),
            cseq: row.integer(22).flatMap { UInt32(exactly: $0) })
    }

    /// The stored name of a state (removed publications are deleted, never stored).
    static func stateName(_ state: PublicationMachine.State) -> String {
        precondition(state != .removed, "removed publications are deleted, never stored")
        return PublicationEngine.stateName(state)
    }

    /// The state of a stored name; nil for anything a stored row cannot hold.
    static func state(named name: String) -> PublicationMachine.State? {
        PublicationEngine.state(named: name).flatMap { $0 == .removed ? nil : $0 }
    }
}
