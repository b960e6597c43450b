import Foundation
import LamplighterTestSupport
import Testing
@testable import PUAStore

/// Against the real PostgreSQL started by deploy/test (migrations applied).
@Suite struct PostgresConnectionTests {
    @Test func parametersAreValuesNeverSQL() async throws {
        let db = try await TestServices.postgres()
        let table = UniqueNames.make("t")
        try await db.query("CREATE TEMP TABLE \(table) (name text, n int)")  // identifier from UniqueNames only
        let hostile = "x'); DROP TABLE pua; --"
        let inserted = try await db.query("INSERT INTO \(table) VALUES ($1, $2), ($3, NULL)", [hostile, "7", "two"])
        #expect(inserted.affectedRows == 2)
        let rows = try await db.query("SELECT name, n FROM \(table) ORDER BY name")
        #expect(rows.columns == ["name", "n"])
        #expect(rows.rows == [["two", nil], [hostile, "7"]])
        #expect(try await db.query("SELECT to_regclass('pua') IS NOT NULL AS present").value(0, "present") == "t")
        await db.close()
    }

    @Test func aFailedStatementCarriesItsSQLState() async throws {
        let db = try await TestServices.postgres()
        await #expect {
            try await db.query("SELEC 1")
        } throws: { error in
            guard let error = error as? PostgresError else { return false }
            return error.code == .queryFailed && error.sqlState == "42601" && error.message.contains("syntax error")
        }
        #expect(try await db.query("SELECT $1::int + 1 AS n", ["41"]).value(0, "n") == "42")
        await db.close()
    }

    @Test func aWrongPasswordFailsWithoutShowingIt() async {
        let url = TestServices.databaseURL.replacingOccurrences(of: "lamplighter:lamplighter@", with: "lamplighter:wrong-pass-123@")
        await #expect {
            _ = try await PostgresConnection.connect(url: url, connectTimeout: 3)
        } throws: { error in
            guard let error = error as? PostgresError else { return false }
            return error.code == .connectFailed && error.message.contains("password authentication failed")
                && !error.description.contains("wrong-pass-123")
        }
    }

    @Test func theSchemaCheckPassesOnTheMigratedDatabase() async throws {
        let db = try await TestServices.postgres()
        try await SchemaCheck.verify(db, table: "pua")
        await db.close()
    }

    @Test func theSchemaCheckNamesAMissingTable() async throws {
        let db = try await TestServices.postgres()
        await #expect {
            try await SchemaCheck.verify(db, table: "no_such_table")
        } throws: { error in
            guard let error = error as? PostgresError else { return false }
            return error.code == .schemaMissing && error.message.contains("'no_such_table'")
        }
        await db.close()
    }

    @Test func theSchemaCheckNamesMissingMigrations() async throws {
        // Kamailio's database has no schema_migrations table.
        let db = try await TestServices.postgres(url: TestServices.kamailioDatabaseURL)
        await #expect {
            try await SchemaCheck.verify(db, table: "pua")
        } throws: { error in
            guard let error = error as? PostgresError else { return false }
            return error.code == .schemaMissing && error.message.contains("schema_migrations")
        }
        await db.close()
    }
}

/// `database.url` with libpq's sslmode against the test PostgreSQL, which deploy/lib.sh runs with TLS on (a
/// self-signed certificate for 127.0.0.1, its copy in LAMPLIGHTER_TEST_POSTGRES_CA).
@Suite struct PostgresTLSTests {
    static var ca: String { ProcessInfo.processInfo.environment["LAMPLIGHTER_TEST_POSTGRES_CA"] ?? "" }

    func url(host: String = "127.0.0.1", _ options: String) throws -> String {
        let base = TestServices.databaseURL
        let rest = try #require(base.range(of: "@127.0.0.1")).upperBound
        return base[..<base.range(of: "@127.0.0.1")!.lowerBound] + "@\(host)" + base[rest...] + "?" + options
    }

    func encrypted(_ connection: PostgresConnection) async throws -> Bool {
        try await connection.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").rows.first?.first == "t"
    }

    @Test func verifyFullConnectsOverTLSWithTheServersCA() async throws {
        let connection = try await PostgresConnection.connect(url: try url("sslmode=verify-full&sslrootcert=\(Self.ca)"))
        #expect(try await encrypted(connection))
        await connection.close()
        let plain = try await PostgresConnection.connect(url: try url("sslmode=disable"))
        #expect(try await encrypted(plain) == false)
        await plain.close()
    }

    @Test func verifyFullRefusesAServerWhoseNameDoesNotMatch() async throws {
        // The certificate names 127.0.0.1; "localhost" reaches the same server under another name.
        await #expect {
            _ = try await PostgresConnection.connect(url: try url(host: "localhost", "sslmode=verify-full&sslrootcert=\(Self.ca)"))
        } throws: { error in
            guard let error = error as? PostgresError else { return false }
            return error.code == .connectFailed && error.message.contains("does not match host name")
        }
    }
}
