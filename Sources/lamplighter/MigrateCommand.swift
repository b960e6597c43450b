import ArgumentParser
import Foundation
import LamplighterConfig
import PUAStore

/// `lamplighter migrate --config PATH [--migrations DIR]`: applies the `sql/` migrations to `database.url`.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the sql/NNN_*.sql migrations not yet recorded in schema_migrations (idempotent)."
    )

    @OptionGroup var options: ConfigurationOptions

    @Option(name: .long, help: "Folder of the migration files.")
    var migrations: String = "sql"

    func run() async throws {
        let configuration = try options.load().configuration
        guard let url = configuration.database.url else {
            FileHandle.standardError.write(Data("lamplighter migrate: database.url is not set\n".utf8))
            throw ExitCode(2)
        }
        do {
            let files = try Migrator.migrations(in: URL(fileURLWithPath: migrations))
            guard !files.isEmpty else {
                FileHandle.standardError.write(Data("lamplighter migrate: no NNN_*.sql files in \(migrations)\n".utf8))
                throw ExitCode(2)
            }
            let connection = try await PostgresConnection.connect(url: url.original)
            defer { Task { await connection.close() } }
            let applied = try await Migrator.apply(files, on: connection)
            FileHandle.standardOutput.write(Data(
                "migrate: \(applied.count) applied\(applied.isEmpty ? "" : " (\(applied.joined(separator: ", ")))"), \(files.count - applied.count) already present in \(url.masked)\n".utf8))
        } catch let error as PostgresError {
            FileHandle.standardError.write(Data("lamplighter migrate: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
