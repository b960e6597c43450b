import Foundation

/// Applies `sql/NNN_name.sql` migrations in order, each in one transaction with its `schema_migrations` row,
/// and skips those already recorded, so running it twice changes nothing (what deploy/lib.sh's `ll_migrate`
/// does, for installations without the deploy scripts).
public enum Migrator {
    /// One migration file.
    public struct Migration: Sendable, Equatable {
        /// The file name without `.sql`, e.g. `002_pua_engine_state` (recorded in `schema_migrations`).
        public var version: String
        public var script: String

        /// The three-digit prefix.
        public var number: String { String(version.prefix(3)) }
    }

    /// The `NNN_*.sql` files of `directory`, in order.
    public static func migrations(in directory: URL) throws(PostgresError) -> [Migration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw PostgresError(code: .migrationFailed, message: "cannot list migrations in \(directory.path): \(error.localizedDescription)")
        }
        var migrations: [Migration] = []
        for name in names.sorted() where name.hasSuffix(".sql") {
            let version = String(name.dropLast(4))
            guard version.count > 4, version.prefix(3).allSatisfy(\.isNumber), version.dropFirst(3).first == "_" else { continue }
            do {
                migrations.append(Migration(version: version, script: try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)))
            } catch {
                throw PostgresError(code: .migrationFailed, message: "cannot read \(name): \(error.localizedDescription)")
            }
        }
        return migrations
    }

    /// Applies the migrations not yet recorded; returns the versions applied now. Refuses a database that has
    /// a migration newer than the newest of `migrations`.
    @discardableResult
    public static func apply(_ migrations: [Migration], on connection: PostgresConnection) async throws(PostgresError) -> [String] {
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())
            """)
        let recorded = try await connection.query("SELECT version FROM schema_migrations").rows.compactMap { $0.first ?? nil }
        let newest = migrations.map(\.number).max() ?? "000"
        if let newer = recorded.filter({ String($0.prefix { $0.isNumber }) > newest }).sorted().last {
            throw PostgresError(
                code: .schemaTooNew,
                message: "the database has migration \(newer), newer than this build knows (up to \(newest)): upgrade lamplighter")
        }
        let applied = Set(recorded.map { String($0.prefix { $0.isNumber }) })
        var done: [String] = []
        for migration in migrations where !applied.contains(migration.number) {
            do {
                try await connection.executeScript("BEGIN")
                try await connection.executeScript(migration.script)
                try await connection.query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, now())", [migration.version])
                try await connection.executeScript("COMMIT")
            } catch {
                try? await connection.executeScript("ROLLBACK")
                throw PostgresError(code: .migrationFailed, sqlState: error.sqlState, message: "\(migration.version).sql: \(error.message)")
            }
            done.append(migration.version)
        }
        return done
    }
}
