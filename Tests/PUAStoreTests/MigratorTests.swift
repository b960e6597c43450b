import Foundation
import LamplighterTestSupport
import Testing
@testable import PUAStore

/// The repository's migrations against the real PostgreSQL, each test in a schema of its own.
@Suite struct MigratorTests {
    static let sqlFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("sql")

    /// A connection whose search_path is a fresh schema (dropped by `cleanUp`).
    func isolated() async throws -> (PostgresConnection, String) {
        let connection = try await TestServices.postgres()
        let schema = UniqueNames.make("mig")
        try await connection.executeScript("CREATE SCHEMA \(schema); SET search_path TO \(schema)")
        return (connection, schema)
    }

    func cleanUp(_ connection: PostgresConnection, _ schema: String) async {
        try? await connection.executeScript("DROP SCHEMA \(schema) CASCADE")
        await connection.close()
    }

    @Test func runningTheMigrationsTwiceChangesNothing() async throws {
        let (connection, schema) = try await isolated()
        let migrations = try Migrator.migrations(in: Self.sqlFolder)
        #expect(migrations.map(\.number).starts(with: ["001", "002", "003", "004"]))
        let first = try await Migrator.apply(migrations, on: connection)
        #expect(first == migrations.map(\.version))
        let second = try await Migrator.apply(migrations, on: connection)
        #expect(second.isEmpty)
        let columns = try await connection.query(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'pua'", [schema])
        // The OpenSIPS pua columns, then what Lamplighter adds.
        let opensips: Set = [
            "pres_uri", "pres_id", "event", "expires", "desired_expires", "flag", "etag", "tuple_id", "watcher_uri", "to_uri",
            "call_id", "to_tag", "from_tag", "cseq", "record_route", "contact", "remote_contact", "version", "extra_headers",
        ]
        let own: Set = ["body", "content_type", "sharing_tag", "node", "state", "updated_at", "granted_expires", "source_body"]
        let present = Set(columns.rows.compactMap { $0.first ?? nil })
        #expect(opensips.subtracting(present).isEmpty, "missing: \(opensips.subtracting(present))")
        #expect(own.subtracting(present).isEmpty, "missing: \(own.subtracting(present))")
        let feedState = try await connection.query(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'pua_feed_state'", [schema])
        #expect(Set(feedState.rows.compactMap { $0.first ?? nil }) == ["feed", "key", "state", "node", "updated_at"])
        try await SchemaCheck.verify(connection, table: "pua")
        await cleanUp(connection, schema)
    }

    @Test func aNewerSchemaIsRefusedByTheMigratorAndTheDaemonsCheck() async throws {
        let (connection, schema) = try await isolated()
        let migrations = try Migrator.migrations(in: Self.sqlFolder)
        try await Migrator.apply(migrations, on: connection)
        try await connection.query("INSERT INTO schema_migrations (version) VALUES ($1)", ["999_from_the_future"])
        await #expect {
            try await Migrator.apply(migrations, on: connection)
        } throws: { error in
            guard let error = error as? PostgresError else { return false }
            return error.code == .schemaTooNew && error.message.contains("999_from_the_future")
        }
        await #expect {
            try await SchemaCheck.verify(connection, table: "pua")
        } throws: { error in
            (error as? PostgresError)?.code == .schemaTooNew
        }
        await cleanUp(connection, schema)
    }

    @Test func aBrokenMigrationIsRolledBackAndNamed() async throws {
        let (connection, schema) = try await isolated()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(UniqueNames.make("sql"))
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "CREATE TABLE ok_table (id integer);".write(to: folder.appendingPathComponent("001_ok.sql"), atomically: true, encoding: .utf8)
        try "CREATE TABLE half_table (id integer); SELECT no_such_column FROM ok_table;"
            .write(to: folder.appendingPathComponent("002_broken.sql"), atomically: true, encoding: .utf8)
        await #expect {
            try await Migrator.apply(try Migrator.migrations(in: folder), on: connection)
        } throws: { error in
            guard let error = error as? PostgresError else { return false }
            return error.code == .migrationFailed && error.message.hasPrefix("002_broken.sql:") && error.message.contains("no_such_column")
        }
        let tables = try await connection.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1", [schema])
        #expect(tables.rows.compactMap { $0.first ?? nil } == ["ok_table", "schema_migrations"], "002 left nothing behind")
        let recorded = try await connection.query("SELECT version FROM schema_migrations")
        #expect(recorded.rows.compactMap { $0.first ?? nil } == ["001_ok"])
        await cleanUp(connection, schema)
    }
}
