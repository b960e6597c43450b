import PUACore

/// The feed adapters' state in `pua_feed_state` (one JSONB entry per table and key, written by this node).
extension PostgresPresentityStore: FeedStateStore {
    public func loadFeedState() async throws(PresentityStoreError) -> [FeedStateRecord] {
        var sql = "SELECT feed, key, convert_to(state::text, 'UTF8') FROM \(quotedFeedStateTable)"
        var bindings = PostgresBindings()
        if let node, !loadsEveryNode {
            sql += " WHERE node = $1 OR node IS NULL"
            bindings.append(node)
        }
        return try await loadRows(sql, bindings, what: "feed state", table: feedStateTable) { row in
            guard let feed = row.text(0), let key = row.text(1), let state = row.bytes(2) else { return nil }
            return FeedStateRecord(feed: feed, key: key, state: state)
        }
    }

    public func writeFeedState(_ records: [FeedStateRecord], deleting deleted: [FeedStateKey]) async throws(PresentityStoreError) {
        var work: [(PostgresStatement, PostgresBindings)] = []
        for chunk in Self.chunks(deleted.count, max: maxRowsPerStatement) {
            var bindings = PostgresBindings(reservingBytes: chunk.count * 64, values: chunk.count * 2)
            for key in deleted[chunk] {
                bindings.append(key.feed)
                bindings.append(key.key)
            }
            let values = (0..<chunk.count).map { "($\($0 * 2 + 1)::text, $\($0 * 2 + 2)::text)" }.joined(separator: ", ")
            work.append((
                PostgresStatement(
                    name: "lamplighter_feed_delete_\(feedStateTable)_\(chunk.count)",
                    sql: "DELETE FROM \(quotedFeedStateTable) AS s USING (VALUES \(values)) AS d(feed, key) WHERE s.feed = d.feed AND s.key = d.key"),
                bindings))
        }
        for chunk in Self.chunks(records.count, max: maxRowsPerStatement) {
            var bindings = PostgresBindings(reservingBytes: chunk.count * 512, values: chunk.count * 4)
            for record in records[chunk] {
                bindings.append(record.feed)
                bindings.append(record.key)
                bindings.append(String(decoding: record.state, as: UTF8.self))
                bindings.append(node)
            }
            let values = (0..<chunk.count).map { row in
                let base = row * 4
                return "($\(base + 1)::text, $\(base + 2)::text, $\(base + 3)::jsonb, $\(base + 4)::text)"
            }.joined(separator: ", ")
            work.append((
                PostgresStatement(
                    name: "lamplighter_feed_upsert_\(feedStateTable)_\(chunk.count)",
                    sql: "INSERT INTO \(quotedFeedStateTable) (feed, key, state, node) VALUES \(values) "
                        + "ON CONFLICT (feed, key) DO UPDATE SET state = EXCLUDED.state, node = EXCLUDED.node, updated_at = now()"),
                bindings))
        }
        // Deletes and upserts of one flush never name the same key, so their order does not matter.
        try await run(work, doing: "writing \(records.count) and deleting \(deleted.count) feed state entries")
    }
}
