import ArgumentParser

/// `lamplighter`: the SIP presence user agent daemon and its tools.
@main
struct LamplighterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lamplighter",
        abstract: "SIP presence user agent: Redis registration and dialog events become PUBLISH to a presence server.",
        version: LamplighterVersion.current,
        subcommands: [RunCommand.self, CheckConfigCommand.self, StatusCommand.self, ReplayCommand.self, MigrateCommand.self],
        defaultSubcommand: RunCommand.self
    )
}

/// The build's version string.
enum LamplighterVersion {
    static let current = "0.1.0"
}
