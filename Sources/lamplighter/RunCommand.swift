import ArgumentParser
import LamplighterConfig
import Logging

/// `lamplighter [run] --config PATH`: runs the daemon in the foreground until SIGTERM or SIGINT.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the daemon in the foreground (the default command)."
    )

    @OptionGroup var options: ConfigurationOptions

    func run() async throws {
        let effective = try options.load()
        // Before the daemon starts its threads: each thread that finds the arenas busy may open one more.
        let allocator = MemoryTrimmer.configureAllocator(arenas: effective.configuration.memory.arenas)
        let level = Logger.Level(rawValue: effective.configuration.log.level.rawValue) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "lamplighter")
        logger.info("starting", metadata: [
            "version": "\(LamplighterVersion.current)", "config": "\(options.config)",
            "malloc_arenas": "\(allocator.arenas.map(String.init) ?? "glibc default")",
            "malloc_mmap_threshold": "\(allocator.mmapThreshold.map(String.init) ?? "environment")",
        ])
        try await Daemon(configuration: effective.configuration, logger: logger).run()
    }
}
