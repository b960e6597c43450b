import ArgumentParser
import Foundation
import LamplighterConfig

/// `--config PATH`, shared by the commands that read the configuration.
struct ConfigurationOptions: ParsableArguments {
    @Option(name: .long, help: "Path of the TOML configuration file.")
    var config: String

    /// Loads the file and the `LAMPLIGHTER_*` environment; on error prints it and exits with status 2.
    func load() throws -> EffectiveConfiguration {
        do {
            return try ConfigurationLoader.load(path: config, environment: ProcessInfo.processInfo.environment)
        } catch {
            FileHandle.standardError.write(Data("lamplighter: configuration error: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
