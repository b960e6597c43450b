import Foundation
import LamplighterTestSupport
import Testing

/// deploy/lamplighter.service: the daemon runs unprivileged and confined, and systemd accepts the unit.
@Suite struct SystemdUnitTests {
    static let unit = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("deploy/lamplighter.service")

    /// The unit's `Key=value` settings (comments and sections left out; a key set twice keeps its last value).
    static func settings() throws -> [String: String] {
        var settings: [String: String] = [:]
        for line in try String(contentsOf: unit, encoding: .utf8).split(separator: "\n") where !line.hasPrefix("#") && !line.hasPrefix("[") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            settings[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return settings
    }

    @Test func theDaemonRunsUnprivilegedAndConfined() throws {
        let settings = try Self.settings()
        #expect(settings["User"] == "lamplighter" && settings["Group"] == "lamplighter", "never root")
        #expect(settings["NoNewPrivileges"] == "yes")
        #expect(settings["CapabilityBoundingSet"] == "" && settings["AmbientCapabilities"] == "", "no capabilities at all")
        #expect(settings["ProtectSystem"] == "strict" && settings["ProtectHome"] == "yes" && settings["PrivateTmp"] == "yes")
        #expect(settings["RestrictAddressFamilies"] == "AF_INET AF_INET6 AF_UNIX")
        #expect(settings["ExecStart"]?.hasSuffix("lamplighter run --config /etc/lamplighter/lamplighter.toml") == true)
        #expect(settings["ExecStartPre"]?.contains("check-config") == true, "a broken configuration stops the start with its error")
        #expect(settings["KillSignal"] == "SIGTERM", "a graceful stop writes the state to PostgreSQL")
    }

    @Test func systemdAcceptsTheUnit() async throws {
        // The unit as installed, but with the binary this build made (systemd checks that it exists).
        let text = try String(contentsOf: Self.unit, encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/lamplighter", with: LamplighterDaemon.binary.path)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UniqueNames.make("unit"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let copy = directory.appendingPathComponent("lamplighter.service")
        try text.write(to: copy, atomically: true, encoding: .utf8)
        // On a Dispatch thread: waiting must not block the concurrency pool.
        let (status, log) = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<(Int32, String), any Error>) in
            DispatchQueue.global().async {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-analyze")
                process.arguments = ["verify", copy.path]
                let pipe = Pipe()
                process.standardOutput = pipe
                process.standardError = pipe
                do {
                    try process.run()
                    let data = pipe.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(returning: (process.terminationStatus, String(decoding: data, as: UTF8.self)))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
        #expect(status == 0 && log.isEmpty, "systemd-analyze verify: \(log)")
    }
}
