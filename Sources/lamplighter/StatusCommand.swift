import ArgumentParser
import Foundation
import LamplighterConfig
import StatusServer

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `lamplighter status [--config PATH | --url URL]`: the daemon's /status as tables for a terminal. Exit
/// status 0 when ready, 1 when not, 2 when the endpoint cannot be read.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Print the running daemon's /status as tables (exit 0 ready, 1 not ready, 2 unreachable)."
    )

    @Option(name: .long, help: "Configuration file: the status endpoint is its status.listen.")
    var config: String?

    @Option(name: .long, help: "Base URL of the status endpoint (default http://127.0.0.1:8080).")
    var url: String?

    func run() async throws {
        let base: String
        if let url {
            base = url
        } else if let config {
            let listen: HostPort
            do {
                listen = try ConfigurationLoader.load(path: config, environment: ProcessInfo.processInfo.environment).configuration.status.listen
            } catch {
                FileHandle.standardError.write(Data("lamplighter: configuration error: \(error)\n".utf8))
                throw ExitCode(2)
            }
            base = "http://\(listen.host.contains(":") ? "[\(listen.host)]" : listen.host):\(listen.port)"
        } else {
            base = "http://127.0.0.1:8080"
        }
        guard let endpoint = URL(string: base.hasSuffix("/") ? base + "status" : base + "/status") else {
            FileHandle.standardError.write(Data("lamplighter status: '\(base)' is not a URL\n".utf8))
            throw ExitCode(2)
        }
        let document: StatusDocument
        do {
            let (data, response) = try await URLSession.shared.data(from: endpoint)
            guard let http = response as? HTTPURLResponse, http.statusCode == 200 else {
                throw StatusReadError(message: "answered HTTP \((response as? HTTPURLResponse)?.statusCode ?? 0)")
            }
            document = try JSONDecoder().decode(StatusDocument.self, from: data)
        } catch {
            FileHandle.standardError.write(Data("lamplighter status: cannot read \(endpoint): \(error)\n".utf8))
            throw ExitCode(2)
        }
        FileHandle.standardOutput.write(Data(StatusTable.render(document, now: Date().timeIntervalSince1970).utf8))
        if !document.ready { throw ExitCode(1) }
    }

    struct StatusReadError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}
