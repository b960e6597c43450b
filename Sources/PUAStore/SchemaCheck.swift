/// Checks that the database has what Lamplighter needs before the daemon says it is ready.
public enum SchemaCheck {
    /// The migrations this build of Lamplighter needs, by version (the `sql/NNN_*.sql` prefix).
    public static let requiredMigrations = ["001", "002", "003", "004"]

    /// Fails with `.schemaMissing` naming the missing migration or table.
    public static func verify(_ connection: PostgresConnection, table: String) async throws(PostgresError) {
        let versions: PostgresRows
        do {
            versions = try await connection.query("SELECT version FROM schema_migrations")
        } catch let error where error.sqlState == "42P01" {
            throw PostgresError(
                code: .schemaMissing,
                message: "no schema_migrations table in \(connection.target): apply the sql/ migrations (deploy/up does)")
        }
        // Versions are recorded as the file's numeric prefix or its whole name; compare the prefix.
        let applied = versions.rows.compactMap { $0.first ?? nil }.map { String($0.prefix { $0.isNumber }) }
        if let newest = requiredMigrations.max(), let newer = applied.filter({ $0 > newest }).max() {
            throw PostgresError(
                code: .schemaTooNew,
                message: "\(connection.target) has migration \(newer), newer than this build knows (up to \(newest)): upgrade lamplighter")
        }
        for version in requiredMigrations where !applied.contains(version) {
            throw PostgresError(
                code: .schemaMissing,
                message: "migration \(version) is not applied to \(connection.target): apply sql/\(version)_*.sql (deploy/up does)")
        }
        let exists = try await connection.query("SELECT to_regclass($1) IS NOT NULL AS present", [table])
        guard exists.value(0, "present") == "t" else {
            throw PostgresError(code: .schemaMissing, message: "table '\(table)' (database.table) does not exist in \(connection.target)")
        }
    }
}
