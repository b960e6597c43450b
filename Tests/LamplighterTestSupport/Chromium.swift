import Foundation

/// Headless Chromium (Debian's `chromium`, installed by deploy/test) taking a screenshot of a page, and the
/// colours of chosen pixels of it (read by `Resources/tools/png_pixels.py`, standard-library Python).
public enum Chromium {
    public struct Failure: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
        public init(message: String) { self.message = message }
    }

    /// A pixel's colour.
    public struct RGB: Equatable, Sendable, CustomStringConvertible {
        public var red: Int
        public var green: Int
        public var blue: Int

        public init(_ red: Int, _ green: Int, _ blue: Int) {
            self.red = red
            self.green = green
            self.blue = blue
        }

        /// Within `tolerance` per channel (anti-aliasing, colour management).
        public func isClose(to other: RGB, tolerance: Int = 12) -> Bool {
            abs(red - other.red) <= tolerance && abs(green - other.green) <= tolerance && abs(blue - other.blue) <= tolerance
        }

        public var description: String { "rgb(\(red), \(green), \(blue))" }
    }

    /// The page at `url` rendered at `width`×`height` once loaded (scripts that run before the load event
    /// included), as a PNG file in a fresh temporary folder.
    public static func screenshot(of url: String, width: Int, height: Int) async throws -> URL {
        guard let executable = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: FileManager.default.isExecutableFile) else {
            throw Failure(message: "chromium is not installed (deploy/test installs it: apt-get install chromium)")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(UniqueNames.make("chromium"))
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("screen.png")
        let (status, output) = try await run([
            executable, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
            "--user-data-dir=\(folder.appendingPathComponent("profile").path)", "--window-size=\(width),\(height)",
            "--screenshot=\(file.path)", url,
        ], timeout: .seconds(60))
        guard status == 0, FileManager.default.fileExists(atPath: file.path) else {
            throw Failure(message: "chromium exited \(status) without a screenshot:\n\(output.suffix(2000))")
        }
        return file
    }

    /// The colours of `points` in the PNG `file`.
    public static func pixels(of file: URL, at points: [(x: Int, y: Int)]) async throws -> [RGB] {
        let script = Bundle.module.url(forResource: "Resources", withExtension: nil)!.appendingPathComponent("tools/png_pixels.py")
        let (status, output) = try await run(["/usr/bin/python3", script.path, file.path] + points.map { "\($0.x),\($0.y)" }, timeout: .seconds(30))
        guard status == 0 else { throw Failure(message: "png_pixels.py failed (\(status)): \(output)") }
        return output.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ").dropFirst().compactMap { Int($0) }
            return parts.count == 3 ? RGB(parts[0], parts[1], parts[2]) : nil
        }
    }

    /// Runs a command as a ``WatchedProcess`` (Chromium reaps its own children, which needs SIGCHLD unblocked),
    /// its output in a file.
    static func run(_ command: [String], timeout: Duration) async throws -> (Int32, String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent(UniqueNames.make("cmd") + ".log")
        defer { try? FileManager.default.removeItem(at: log) }
        let process = try WatchedProcess.spawn(command, standardOutput: log.path)
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now >= deadline {
                await process.stop(grace: .seconds(2))
                throw Failure(message: "\(command[0]) did not finish within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return (process.exitStatus ?? -1, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }
}
