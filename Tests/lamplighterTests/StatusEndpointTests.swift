import Foundation
import LamplighterTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The daemon's status endpoint over real HTTP while events flow: metrics move, /status counts them.
@Suite struct StatusEndpointTests {
    static func get(_ port: Int, _ path: String) async throws -> (Int, String) {
        let (data, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// The value of the Prometheus sample `name{labels}` in `text`, 0 when absent.
    static func sample(_ text: String, _ series: String) -> Double {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1)) ?? 0
        }
        return 0
    }

    /// Runs `lamplighter status ARGUMENTS` on a Dispatch queue (waiting must not block the concurrency pool).
    static func runStatus(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                let process = Process()
                process.executableURL = LamplighterDaemon.binary
                process.arguments = ["status"] + arguments
                process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("LAMPLIGHTER_") }
                let out = Pipe(), err = Pipe()
                process.standardOutput = out
                process.standardError = err
                do {
                    try process.run()
                    let stdout = out.fileHandleForReading.readDataToEndOfFile()
                    let stderr = err.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(returning: (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self)))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    @Test func statusNamesAnUnreachableEndpointAndExitsTwo() async throws {
        let port = try FreePort.tcp()
        let outcome = try await Self.runStatus(["--url", "http://127.0.0.1:\(port)"])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("cannot read http://127.0.0.1:\(port)/status"), "\(outcome.stderr)")
    }

    @Test func metricsAndStatusFollowTheFeed() async throws {
        let setup = {
            var setup = DaemonRecoveryTests.Setup()
            setup.adminToken = "status-test-token-0123456789"
            return setup
        }()
        let services = try await DaemonRecoveryTests.Services.open(for: setup)
        defer { Task { await services.close() } }
        let redis = services.redis
        let port = try FreePort.tcp()
        let daemon = try LamplighterDaemon(name: "status", configuration: setup.configuration(sipPort: try FreePort.udp(), statusPort: port))
        let run = try await daemon.start()
        let (_, before) = try await Self.get(port, "/metrics")
        for n in 0..<5 { try await DaemonRecoveryTests.send(redis, setup, "contact-insert", n, contact: "1", seq: n + 1) }
        _ = try await redis.command(["XADD", setup.stream, "*", "payload", "{broken"])
        var after = ""
        let moved = try await DaemonRecoveryTests.eventually(.seconds(15)) {
            after = try await Self.get(port, "/metrics").1
            return Self.sample(after, #"lamplighter_publish_replies_total{code="200"}"#) >= 5
        }
        #expect(moved, "\(after.prefix(3000))")
        #expect(Self.sample(after, #"lamplighter_publish_sent_total{kind="initial"}"#) - Self.sample(before, #"lamplighter_publish_sent_total{kind="initial"}"#) == 5)
        #expect(Self.sample(after, #"lamplighter_feed_events_total{feed="registrations"}"#) == 5)
        #expect(Self.sample(after, #"lamplighter_feed_events_rejected_total{feed="registrations",reason="invalid_json"}"#) == 1)
        #expect(after.contains("lamplighter_publish_update_latency_seconds_bucket"), "the update-to-2xx histogram")
        #expect(after.contains("lamplighter_publish_in_flight"))
        // memory.trim_interval = 1: the trimmer has run and reports the resident set.
        var trimmed = ""
        let trims = try await DaemonRecoveryTests.eventually(.seconds(10)) {
            trimmed = try await Self.get(port, "/metrics").1
            return Self.sample(trimmed, "lamplighter_memory_trims_total") >= 1
        }
        #expect(trims, "\(trimmed.prefix(3000))")
        #expect(Self.sample(trimmed, "lamplighter_process_resident_bytes") > 10_000_000, "a daemon's resident set is megabytes")
        #expect(trimmed.contains("lamplighter_memory_trim_seconds_bucket"))

        let (code, status) = try await Self.get(port, "/status")
        #expect(code == 200)
        let document = try JSONSerialization.jsonObject(with: Data(status.utf8)) as? [String: Any]
        let feeds = document?["feeds"] as? [[String: Any]]
        let registrations = feeds?.first { $0["feed"] as? String == "registrations" }
        #expect(registrations?["received"] as? Int == 6 && registrations?["applied"] as? Int == 5, "\(status)")
        #expect((registrations?["rejected"] as? [String: Int])?["invalid_json"] == 1)
        #expect(((document?["publications"] as? [String: Any])?["presence"] as? [String: Int])?["published"] == 5)
        #expect((document?["cluster"] as? [String: Any])?["node"] as? String == setup.node)
        // A subscription through the admin API: SUBSCRIBE and NOTIFY are counted too.
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/subscribe")!)
        request.httpMethod = "POST"
        request.setValue("Bearer status-test-token-0123456789", forHTTPHeaderField: "Authorization")
        request.httpBody = Data(#"{"pres_uri":"\#(setup.aor(0))","watcher_uri":"sip:ops@127.0.0.1","event":"presence","id":"ops"}"#.utf8)
        let (_, subscribed) = try await URLSession.shared.data(for: request)
        #expect((subscribed as? HTTPURLResponse)?.statusCode == 202)
        var metrics = ""
        let notified = try await DaemonRecoveryTests.eventually(.seconds(10)) {
            metrics = try await Self.get(port, "/metrics").1
            return Self.sample(metrics, #"lamplighter_notify_received_total{result="accepted"}"#) >= 1
        }
        #expect(notified, "\(metrics.prefix(2000))")
        #expect(Self.sample(metrics, #"lamplighter_subscribe_sent_total{kind="initial"}"#) == 1)
        #expect(metrics.split(separator: "\n").contains { $0.hasPrefix(#"lamplighter_subscribe_replies_total{code="2"#) })

        // The same for a terminal: `lamplighter status`.
        let table = try await Self.runStatus(["--url", "http://127.0.0.1:\(port)"])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("on \(setup.node) (cluster 1)") && table.stdout.contains(": ready, up "), "\(table.stdout)")
        let feedLine = table.stdout.split(separator: "\n").first { $0.hasPrefix("registrations ") }.map(String.init) ?? ""
        #expect(feedLine.split(separator: " ", omittingEmptySubsequences: true).prefix(4) == ["registrations", "6", "5", "1"], "\(table.stdout)")
        #expect(table.stdout.contains("presence"), "\(table.stdout)")
        #expect(try await Self.get(port, "/healthz").0 == 200)
        #expect(try await Self.get(port, "/readyz").0 == 200)

        // The board page and its live stream; an open stream does not hold up a graceful stop.
        let (pageCode, page) = try await Self.get(port, "/")
        #expect(pageCode == 200 && page.contains("Lamplighter BLF board") && page.contains(setup.aor(0)))
        let stream = try EventStream(url: "http://127.0.0.1:\(port)/board/events")
        let events = try await stream.wait { !$0.isEmpty }
        #expect(events.first?.contains(setup.aor(4)) == true)
        let stopping = ContinuousClock.now
        await daemon.stop(grace: .seconds(20))
        #expect(daemon.log(run: run).contains("] stopped"), "stopped gracefully, not killed: \(daemon.log(run: run).suffix(1500))")
        #expect(ContinuousClock.now - stopping < .seconds(10))
    }
}
