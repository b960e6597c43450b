import Foundation
import Testing

/// Runs the built `lamplighter` binary as an operator would.
@Suite struct CheckConfigCommandTests {
    static var binary: URL {
        // swift test runs the test bundle from the build products folder, next to the executable.
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [products, products.deletingLastPathComponent()].map { $0.appendingPathComponent("lamplighter") }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs the binary on a Dispatch queue: waiting for a process must not block the (two-thread)
    /// Swift concurrency pool that the other suites share.
    func run(_ arguments: [String], config: String, environment: [String: String] = [:]) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try self.runBlocking(arguments, config: config, environment: environment) })
            }
        }
    }

    private func runBlocking(_ arguments: [String], config: String, environment: [String: String]) throws -> Outcome {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("lamplighter-\(UUID().uuidString).toml")
        try config.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments + ["--config", file.path]
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("LAMPLIGHTER_") }
        env.merge(environment) { $1 }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self).replacingOccurrences(of: file.path, with: "CONFIG"))
    }

    static let valid = """
        [database]
        url = "postgresql://lamplighter:topsecret@127.0.0.1:15432/lamplighter"
        [sip]
        presence_server = "sip:127.0.0.1:15060"
        """

    @Test func printsTheEffectiveConfigurationWithSecretsMasked() async throws {
        let outcome = try await run(["check-config"], config: Self.valid, environment: ["LAMPLIGHTER_PUA_HASH_SIZE": "10"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("hash_size = 10  # env LAMPLIGHTER_PUA_HASH_SIZE"))
        #expect(outcome.stdout.contains("lamplighter:****@127.0.0.1:15432"))
        #expect(!outcome.stdout.contains("topsecret"))
    }

    @Test(arguments: [
        ("[pua]\nhash_size = \"big\"\n", "wrong type for 'pua.hash_size'"),
        ("[pua]\nhash_size = 64\n", "value out of range for 'pua.hash_size': got 64; allowed: an integer from 1 to 20"),
        ("[pua]\nhash_sizee = 9\n", "unknown key 'pua.hash_sizee'"),
    ])
    func rejectsBadFilesWithStatusTwo(extra: String, message: String) async throws {
        let outcome = try await run(["check-config"], config: Self.valid + "\n" + extra)
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains(message), "\(outcome.stderr)")
    }

    @Test func rejectsAMalformedDatabaseURL() async throws {
        let outcome = try await run(["check-config"], config: Self.valid.replacingOccurrences(of: "@127.0.0.1:15432", with: "@127.0.0.1:port"))
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("CONFIG:2: invalid value for 'database.url'"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("port 'port' is not a number"))
        #expect(!outcome.stderr.contains("topsecret"), "the password leaked into the error")
    }

    @Test func theDaemonRefusesToStartOnABadConfiguration() async throws {
        let outcome = try await run(["run"], config: "[pua]\nhash_size = 0\n")
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("pua.hash_size"))
    }
}
