import ArgumentParser
import Foundation

/// `lamplighter check-config --config PATH`: validates and prints the effective configuration, secrets masked.
struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration and print the effective values (secrets masked); exit 2 when invalid."
    )

    @OptionGroup var options: ConfigurationOptions

    func run() async throws {
        let effective = try options.load()
        FileHandle.standardOutput.write(Data("# effective configuration of \(options.config)\n".utf8))
        FileHandle.standardOutput.write(Data(effective.rendered().utf8))
    }
}
