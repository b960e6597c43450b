import Foundation
import PUACore
import SIPCore

/// ``PresentityStore`` on the `pua` table (`database.table`): one multi-row statement per batch (bound
/// parameters only; the table name is a configuration identifier, validated and quoted), one transaction
/// per statement.
public actor PostgresPresentityStore: PresentityStore {
    let connection: PostgresConnection
    let table: String
    private var quotedTable: String { "\"" + table.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    static let columns = [
        "pres_uri", "event", "pub_id", "etag", "expires_at", "desired_expires", "body", "content_type", "body_version",
        "tuple_id", "last_code", "last_reason", "last_reply_at", "source", "sharing_tag", "extra_headers", "outbound_proxy",
        "granted_expires", "state", "source_body",
    ]

    /// `table` must be an identifier (the configuration checks `database.table`).
    public init(connection: PostgresConnection, table: String = "pua") {
        precondition(table.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }, "database.table is checked by configuration")
        self.connection = connection
        self.table = table
    }

    public func upsert(_ publications: [PublicationSnapshot]) async throws(PresentityStoreError) {
        guard !publications.isEmpty else { return }
        var parameters: [String?] = []
        parameters.reserveCapacity(publications.count * Self.columns.count)
        var rows: [String] = []
        for publication in publications {
            let base = parameters.count
            let p = { (offset: Int) in "$\(base + offset)" }
            rows.append("(\(p(1)), \(p(2)), \(p(3)), \(p(4)), to_timestamp(\(p(5))::double precision), \(p(6))::integer, "
                + "decode(\(p(7)), 'hex'), \(p(8)), \(p(9))::bigint, \(p(10)), \(p(11))::integer, \(p(12)), "
                + "to_timestamp(\(p(13))::double precision), \(p(14)), \(p(15)), \(p(16)), \(p(17)), \(p(18))::integer, \(p(19)), "
                + "decode(\(p(20)), 'hex'))")
            parameters += Self.values(of: publication)
        }
        let updates = Self.columns.dropFirst(3).map { "\($0) = EXCLUDED.\($0)" }.joined(separator: ", ")
        let sql = "INSERT INTO \(quotedTable) (\(Self.columns.joined(separator: ", "))) VALUES \(rows.joined(separator: ", ")) "
            + "ON CONFLICT (pres_uri, event, pub_id) DO UPDATE SET \(updates), updated_at = now()"
        try await run(sql, parameters, doing: "upserting \(publications.count) publications")
    }

    public func delete(_ keys: [PublicationKey]) async throws(PresentityStoreError) {
        guard !keys.isEmpty else { return }
        var parameters: [String?] = []
        var rows: [String] = []
        for key in keys {
            let base = parameters.count
            rows.append("($\(base + 1), $\(base + 2), $\(base + 3))")
            parameters += [key.presentity, key.event, key.id]
        }
        let sql = "DELETE FROM \(quotedTable) AS p USING (VALUES \(rows.joined(separator: ", "))) AS d(pres_uri, event, pub_id) "
            + "WHERE p.pres_uri = d.pres_uri AND p.event = d.event AND p.pub_id = d.pub_id"
        try await run(sql, parameters, doing: "deleting \(keys.count) publications")
    }

    public func loadAll() async throws(PresentityStoreError) -> [PublicationSnapshot] {
        let sql = "SELECT pres_uri, event, pub_id, etag, extract(epoch FROM expires_at) AS expires_at, desired_expires, "
            + "encode(body, 'hex') AS body, content_type, body_version, tuple_id, last_code, last_reason, "
            + "extract(epoch FROM last_reply_at) AS last_reply_at, source, sharing_tag, extra_headers, outbound_proxy, "
            + "granted_expires, state, encode(source_body, 'hex') AS source_body FROM \(quotedTable)"
        let rows: PostgresRows
        do {
            rows = try await connection.query(sql)
        } catch {
            throw Self.storeError(error, doing: "loading publications")
        }
        var snapshots: [PublicationSnapshot] = []
        snapshots.reserveCapacity(rows.rows.count)
        for index in rows.rows.indices {
            guard let snapshot = Self.snapshot(rows, index) else {
                throw PresentityStoreError(code: .corrupt, context: "row \(index) of \(table) cannot be read back: \(rows.rows[index].prefix(3))")
            }
            snapshots.append(snapshot)
        }
        return snapshots
    }

    private func run(_ sql: String, _ parameters: [String?], doing what: String) async throws(PresentityStoreError) {
        do {
            try await connection.query(sql, parameters)
        } catch {
            throw Self.storeError(error, doing: what)
        }
    }

    static func storeError(_ error: PostgresError, doing what: String) -> PresentityStoreError {
        switch error.code {
        case .connectFailed, .connectionLost, .closed: PresentityStoreError(code: .unavailable, context: "\(what): \(error)")
        default: PresentityStoreError(code: .rejected, context: "\(what): \(error)")
        }
    }

    // MARK: - Rows

    static func values(of publication: PublicationSnapshot) -> [String?] {
        [
            publication.key.presentity, publication.key.event, publication.key.id, publication.etag,
            publication.expiresAt.map { String($0) }, String(publication.desiredExpires ?? 0),
            hex(publication.body ?? []), publication.contentType, String((publication.version ?? 0) + (publication.body == nil ? 0 : 1)),
            publication.tupleID, publication.lastReply?.statusCode.map(String.init), publication.lastReply?.reason,
            publication.lastReply.map { String($0.receivedAt) }, publication.source.rawValue, publication.sharingTag,
            publication.extraHeaders.isEmpty ? nil : publication.extraHeaders.map { "\($0.name): \($0.value)" }.joined(separator: "\r\n"),
            publication.outboundProxy?.description, publication.grantedExpires.map(String.init), stateName(publication.state),
            publication.sourceBody.map(hex),
        ]
    }

    static func snapshot(_ rows: PostgresRows, _ index: Int) -> PublicationSnapshot? {
        func text(_ column: String) -> String? { rows.value(index, column) }
        guard let presentity = text("pres_uri"), let event = text("event"), let contentType = text("content_type"),
              let body = text("body").flatMap(bytes), let tupleID = text("tuple_id"), let sourceName = text("source"),
              let nextVersion = text("body_version").flatMap(UInt64.init), let state = text("state").flatMap(state(named:))
        else { return nil }
        let reply = text("last_reply_at").flatMap(Double.init).map { at in
            PublicationReply(statusCode: text("last_code").flatMap(Int.init), reason: text("last_reason") ?? "", receivedAt: at)
        }
        let headers = (text("extra_headers") ?? "").components(separatedBy: "\r\n").compactMap { line -> SIPHeaders.Field? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return SIPHeaders.Field(name: String(line[..<colon]), value: line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return PublicationSnapshot(
            key: PublicationKey(presentity: presentity, event: event, id: text("pub_id") ?? ""), state: state, etag: text("etag"),
            grantedExpires: text("granted_expires").flatMap(Int.init), expiresAt: text("expires_at").flatMap(Double.init),
            desiredExpires: text("desired_expires").flatMap(Int.init).flatMap { $0 == 0 ? nil : $0 },
            body: body.isEmpty ? nil : body, contentType: contentType, version: nextVersion == 0 ? nil : nextVersion - 1,
            tupleID: tupleID, lastReply: reply, lastFailure: nil, hasPendingUpdate: false,
            source: PublicationSource(rawValue: sourceName), sharingTag: text("sharing_tag"), extraHeaders: headers,
            outboundProxy: text("outbound_proxy").flatMap { try? SIPURI(parsing: $0) },
            sourceBody: text("source_body").flatMap(bytes))
    }

    static func stateName(_ state: PublicationMachine.State) -> String {
        switch state {
        case .idle: "idle"
        case .publishing: "publishing"
        case .published: "published"
        case .failed: "failed"
        case .removed: preconditionFailure("removed publications are deleted, never stored")
        }
    }

    static func state(named name: String) -> PublicationMachine.State? {
        switch name {
        case "idle": .idle
        case "publishing": .publishing
        case "published": .published
        case "failed": .failed
        default: nil
        }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func bytes(_ hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
