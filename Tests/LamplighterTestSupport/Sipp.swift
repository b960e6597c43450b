import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A real SIPp (Debian's `sip-tester`, 3.6.1, installed by `deploy/test`) playing a scenario on UDP on
/// 127.0.0.1, for tests that need a peer behaving in a scripted way: silent, dropping requests,
/// challenging.
///
/// sipp listens on a free port of 127.0.0.1 (`-i 127.0.0.1 -bind_local`; its control and media sockets on
/// 127.0.0.1 too), runs `-m` calls, and traces the messages it sent and received (`-trace_msg`) and
/// unexpected events (`-trace_err`) into a private temporary folder, also its working directory.
///
/// It never outlives the test: it is always given `-timeout N -timeout_error`, so it exits by itself (status
/// 255) after N seconds whatever the scenario waits for; ``stop()`` and `deinit` terminate it; and it runs
/// as a ``WatchedProcess``, under a small `sh` watchdog that kills it when the test process's end of a
/// socket pair closes, so it also ends when the test process exits or crashes.
///
/// Exit statuses (sipp's): 0 every call reached the scenario's end, 1 a call failed, 97 stopped by an internal
/// command, 99 no call at all, 255 fatal (`-timeout_error` reached, or an `<error>` action in the scenario),
/// 254 could not bind its socket. Killed by a signal gives 128 + the signal. After ``stop()`` (SIGTERM) sipp
/// 3.6.1 exits 0 even with a call in progress: judge a stopped sipp by its logs, not its status.
///
/// ```swift
/// let sipp = try await Sipp.start(.dropTwo, in: sippScenarios)
/// // send to 127.0.0.1:\(sipp.port) ...
/// #expect(try await sipp.waitForExit(timeout: .seconds(10)) == 0, "\(sipp.messageLog)")
/// ```
///
/// It can also play a watcher (a subscriber) against the presence server: ``watch(_:event:accept:notifies:expires:server:timeout:arguments:)``.
public final class Sipp: @unchecked Sendable {
    /// The scenarios of `Tests/LamplighterTestSupport/Resources/sipp/` (``supportScenarios``; UAS, any non-INVITE method), with the options
    /// each one needs.
    public enum Scenario: String, Sendable, CaseIterable {
        /// Receives a request and never answers anything (every request of the call is received and ignored).
        /// Ends by the global timeout: exit 255, "timed out" in ``errorLog``.
        case silent = "uas_silent"
        /// Ignores the first two copies of a request and answers the third 200. Needs `-nr`: without it sipp
        /// recognizes the retransmissions (identical hash) and absorbs them before the scenario sees them.
        case dropTwo = "uas_drop_two"
        /// Answers the first request 401 (``Sipp/digestRealm``, nonce `lamplighter-<pid>-<call>`, MD5,
        /// qop auth); checks the retry's Authorization with `<verifyauth>` against the `auth_user` and
        /// `auth_password` keys, and answers 200 (exit 0) if valid, else 401 again with the same nonce and
        /// ends with an `<error>` "wrong credentials" (exit 255).
        case digest = "uas_digest"
        /// A notifier: answers a SUBSCRIBE 200 (Contact `sip:first@…`), sends a NOTIFY in the dialog whose Contact
        /// is `sip:moved@…` (both this sipp), answers the refresh 200 and ends (exit 0).
        case notifierMoves = "uas_notifier_moves"
        /// Answers every request of every call 503 with Retry-After: 30, again and again (an overloaded server);
        /// ends by the global timeout (exit 255).
        case refuse503 = "uas_refuse_503"
        /// The same with 500 and no Retry-After (a broken server).
        case refuse500 = "uas_refuse_500"
        /// Answers every request 200 (SIP-ETag, the request's Expires) `delay` ms after it came (key, default
        /// 10000); ends by the global timeout (exit 255).
        case slow = "uas_slow"
        /// A lossy network before a server answering 200: drops 20 % of the requests it receives and of the
        /// answers it sends; ends by the global timeout (exit 255).
        case lossy = "uas_lossy"
        /// Answers the first request of each call 200 (SIP-ETag, the request's Expires) and every later one 412,
        /// again and again (a server that forgot every publication); ends by the global timeout (exit 255).
        case forget412 = "uas_forget_412"

        /// The scenario file in `directory` (the `sipp` folder of the SIPStackTests resources).
        public func file(in directory: URL) -> URL {
            directory.appendingPathComponent(rawValue + ".xml")
        }

        /// Options the scenario needs.
        public var arguments: [String] {
            switch self {
            case .dropTwo: ["-nr"]
            case .silent, .digest, .notifierMoves, .refuse503, .refuse500, .slow, .lossy, .forget412: []
            }
        }

        /// Keys (`-key`) with their default values.
        public var keys: [String: String] {
            switch self {
            case .digest: ["auth_user": Sipp.digestUsername, "auth_password": Sipp.digestPassword]
            case .slow: ["delay": "10000"]
            case .silent, .dropTwo, .notifierMoves, .refuse503, .refuse500, .lossy, .forget412: [:]
            }
        }
    }

    /// The realm of ``Scenario/digest``'s challenge.
    public static let digestRealm = "lamplighter.test"
    /// The username ``Scenario/digest`` accepts unless the `auth_user` key says otherwise.
    public static let digestUsername = "lamplighter"
    /// The password ``Scenario/digest`` accepts unless the `auth_password` key says otherwise.
    public static let digestPassword = "lamplighter-secret"

    /// sipp did not start, or did not end in time.
    public struct Failure: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// One message of the `-trace_msg` log.
    public struct LoggedMessage: Sendable, Equatable {
        /// Whether sipp received or sent it.
        public var received: Bool
        /// The SIP message as logged, lines joined with CRLF, without the trailing empty lines.
        public var text: String
        /// Its first line (request line or status line).
        public var firstLine: String { text.split(separator: "\r\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? "" }
        /// Its body: what follows the first empty line (lines joined with CRLF, trailing empty lines dropped),
        /// empty if none.
        public var body: String {
            guard let end = text.range(of: "\r\n\r\n") else { return "" }
            return String(text[end.upperBound...])
        }
    }

    /// The address sipp listens on.
    public let host = "127.0.0.1"
    /// The UDP port sipp listens on.
    public let port: Int
    /// The scenario file.
    public let scenario: URL
    /// The sipp command line (for failure messages).
    public let commandLine: [String]
    /// The private folder holding the logs (removed on deinit).
    public let directory: URL

    /// sipp under its watchdog, which writes sipp's pid to `sipp.pid`.
    private let process: WatchedProcess

    private var messagesPath: String { directory.appendingPathComponent("messages.log").path }
    private var errorsPath: String { directory.appendingPathComponent("errors.log").path }
    private var stdoutPath: String { directory.appendingPathComponent("screen.log").path }
    private var stderrPath: String { directory.appendingPathComponent("stderr.log").path }

    private init(process: WatchedProcess, port: Int, scenario: URL, commandLine: [String], directory: URL) {
        self.process = process
        self.port = port
        self.scenario = scenario
        self.commandLine = commandLine
        self.directory = directory
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: - Starting

    /// Starts one of the bundled scenarios found in `directory`; `keys` are added to (and override) the
    /// scenario's default keys, `arguments` to its options.
    public static func start(
        _ scenario: Scenario, in directory: URL, maxCalls: Int = 1, timeout: Duration = .seconds(10),
        keys: [String: String] = [:], arguments: [String] = []
    ) async throws -> Sipp {
        try await start(scenarioFile: scenario.file(in: directory), maxCalls: maxCalls, timeout: timeout,
                        keys: scenario.keys.merging(keys) { $1 }, arguments: scenario.arguments + arguments)
    }

    /// Starts sipp with `scenarioFile` and waits until it listens.
    ///
    /// - Parameters:
    ///   - maxCalls: `-m`: sipp exits once this many calls ended.
    ///   - timeout: `-timeout` (whole seconds, rounded up) with `-timeout_error`: sipp exits with 255 after it,
    ///     whatever the scenario waits for.
    ///   - keys: `-key name value` pairs, for `[name]` in the scenario.
    ///   - arguments: further sipp options.
    public static func start(
        scenarioFile: URL, maxCalls: Int = 1, timeout: Duration = .seconds(10), keys: [String: String] = [:],
        arguments: [String] = []
    ) async throws -> Sipp {
        let executable = try executablePath()
        guard FileManager.default.isReadableFile(atPath: scenarioFile.path) else {
            throw Failure(message: "sipp scenario \(scenarioFile.path) not found")
        }
        let seconds = max(1, Int((Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18).rounded(.up)))
        var lastFailure = ""
        for _ in 0..<5 {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UniqueNames.make("sipp"))
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            let port = try FreePort.udp()
            var commandLine = [
                executable, "-sf", scenarioFile.path,
                "-t", "u1", "-i", "127.0.0.1", "-p", String(port), "-bind_local",
                "-ci", "127.0.0.1", "-mi", "127.0.0.1",
                "-m", String(maxCalls), "-timeout", "\(seconds)s", "-timeout_error", "-nostdin",
                "-trace_msg", "-message_file", directory.appendingPathComponent("messages.log").path,
                "-trace_err", "-error_file", directory.appendingPathComponent("errors.log").path,
            ]
            for (key, value) in keys.sorted(by: { $0.key < $1.key }) {
                commandLine += ["-key", key, value]
            }
            commandLine += arguments
            let sipp = try launch(commandLine, port: port, scenario: scenarioFile, directory: directory)
            switch await sipp.waitUntilListening(timeout: .seconds(10)) {
            case .ready:
                return sipp
            case .exited(0):
                return sipp  // A client scenario that already ran to its end (its logs are kept).
            case .exited(let status) where status == 254:
                lastFailure = sipp.standardError  // another process took the port in between: try another one
                sipp.stop()
            case .exited(let status):
                let message = "sipp exited at start with status \(status): \(commandLine.joined(separator: " "))\n"
                    + sipp.standardError + sipp.errorLog
                sipp.stop()
                throw Failure(message: message)
            case .notListening:
                let message = "sipp did not listen on 127.0.0.1:\(port) within 10 s: \(commandLine.joined(separator: " "))\n"
                    + sipp.standardError
                sipp.stop()
                throw Failure(message: message)
            }
        }
        throw Failure(message: "sipp found no free port:\n\(lastFailure)")
    }

    /// The sipp executable: `LAMPLIGHTER_TEST_SIPP`, else `sipp` on PATH.
    public static func executablePath() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["LAMPLIGHTER_TEST_SIPP"], !path.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw Failure(message: "LAMPLIGHTER_TEST_SIPP=\(path) is not an executable")
            }
            return path
        }
        for folder in (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(folder)/sipp"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw Failure(message: "sipp is not on PATH: run the tests with deploy/test, which installs it (Debian package "
                      + "sip-tester), or apt-get install -y sip-tester")
    }

    /// Spawns sipp as a ``WatchedProcess`` working in `directory`, with its standard output and error in
    /// `screen.log` and `stderr.log` there.
    private static func launch(_ commandLine: [String], port: Int, scenario: URL, directory: URL) throws -> Sipp {
        do {
            let process = try WatchedProcess.spawn(
                commandLine, workingDirectory: directory.path, pidFile: directory.appendingPathComponent("sipp.pid").path,
                standardOutput: directory.appendingPathComponent("screen.log").path,
                standardError: directory.appendingPathComponent("stderr.log").path)
            return Sipp(process: process, port: port, scenario: scenario, commandLine: commandLine, directory: directory)
        } catch let failure as WatchedProcess.SpawnFailure {
            throw Failure(message: "cannot start sipp: \(failure.message)")
        }
    }

    private enum Readiness {
        case ready
        case exited(Int32)
        case notListening
    }

    /// Waits until sipp's own process holds a UDP socket bound to 127.0.0.1:`port` (not some other process
    /// that took the port in between).
    private func waitUntilListening(timeout: Duration) async -> Readiness {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = exitStatus { return .exited(status) }
            #if os(Linux)
            if let pid = sippPID, let inode = Self.udpSocketInode(port: port), Self.socketInodes(pid: pid).contains(inode) {
                return .ready
            }
            #else
            if sippPID != nil {
                try? await Task.sleep(for: .milliseconds(500))
                return exitStatus.map { .exited($0) } ?? .ready
            }
            #endif
            try? await Task.sleep(for: .milliseconds(10))
        }
        return .notListening
    }

    private var sippPID: pid_t? { process.commandPID }

    /// The inode of the UDP socket bound to 127.0.0.1:`port`, from /proc/net/udp.
    private static func udpSocketInode(port: Int) -> String? {
        guard let handle = FileHandle(forReadingAtPath: "/proc/net/udp") else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.readToEnd() else { return nil }
        let local = "0100007F:" + String(format: "%04X", port)
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count > 9, fields[1] == local { return String(fields[9]) }
        }
        return nil
    }

    /// The inodes of the sockets process `pid` holds.
    private static func socketInodes(pid: pid_t) -> Set<String> {
        let folder = "/proc/\(pid)/fd"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        var inodes = Set<String>()
        for entry in entries {
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(folder)/\(entry)"),
                  target.hasPrefix("socket:[") else { continue }
            inodes.insert(String(target.dropFirst("socket:[".count).dropLast()))
        }
        return inodes
    }

    // MARK: - Watcher

    /// The `sipp` folder of LamplighterTestSupport's own resources (`Tests/LamplighterTestSupport/Resources/sipp`),
    /// usable from any test target.
    public static var supportScenarios: URL {
        Bundle.module.url(forResource: "Resources", withExtension: nil)!.appendingPathComponent("sipp")
    }

    /// `uac_subscribe_watcher.xml`: the UAC watcher that ``watch(_:event:accept:notifies:expires:server:timeout:arguments:)``
    /// plays (its keys: `event`, `accept`, `expires`, `notifies`; all required).
    public static var watcherScenario: URL { supportScenarios.appendingPathComponent("uac_subscribe_watcher.xml") }

    /// The body type a watcher of `event` accepts: `application/pidf+xml` for presence, `application/dialog-info+xml`
    /// for dialog and dialog;sla, `application/simple-message-summary` for message-summary,
    /// `application/watcherinfo+xml` for presence.winfo (and anything else).
    public static func acceptType(forEvent event: String) -> String {
        switch event.split(separator: ";").first.map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) ?? "" {
        case "presence": "application/pidf+xml"
        case "dialog": "application/dialog-info+xml"
        case "message-summary": "application/simple-message-summary"
        default: "application/watcherinfo+xml"
        }
    }

    /// Starts sipp as a watcher of `user`'s `event` on the presence server (default: the test Kamailio,
    /// ``TestServices/kamailioURI``), playing ``watcherScenario``: SUBSCRIBE `sip:user@server` (Event `event`,
    /// Accept `accept` or ``acceptType(forEvent:)``, Expires `expires`), 200 or 202, then `notifies` NOTIFYs each
    /// answered 200 OK, then an unsubscribe (Expires 0) and its final NOTIFY (`Subscription-State: terminated`), and
    /// exit 0.
    ///
    /// `notifies` counts the NOTIFY the server sends right after the 2xx (the current state, maybe without a body)
    /// too: to see one PUBLISH, wait for 2. The NOTIFYs are in ``received`` (``LoggedMessage/body``) as soon as they
    /// arrive; a watcher still waiting for more when `timeout` passes exits 255.
    ///
    /// ```swift
    /// let watcher = try await Sipp.watch(user, notifies: 2)
    /// #expect(await watcher.waitUntilReceived(2))        // the 2xx and the first NOTIFY: subscribed
    /// // PUBLISH presence for sip:user@127.0.0.1 ...
    /// #expect(try await watcher.waitForExit(timeout: .seconds(10)) == 0, "\(watcher.messageLog)")
    /// let bodies = watcher.received.filter { $0.firstLine.hasPrefix("NOTIFY") }.map(\.body)
    /// ```
    ///
    /// - Parameters:
    ///   - user: the presentity's user part (`-s`); its domain is the server's host.
    ///   - server: `host:port` the SUBSCRIBE goes to (UDP).
    ///   - arguments: further sipp options.
    public static func watch(
        _ user: String, event: String = "presence", accept: String? = nil, notifies: Int = 1, expires: Int = 600,
        server: String? = nil, timeout: Duration = .seconds(10), arguments: [String] = []
    ) async throws -> Sipp {
        let remote = server ?? kamailioHostPort
        return try await start(
            scenarioFile: watcherScenario, maxCalls: 1, timeout: timeout,
            keys: [
                "event": event, "accept": accept ?? acceptType(forEvent: event),
                "expires": String(expires), "notifies": String(notifies),
            ],
            arguments: ["-s", user] + arguments + [remote])
    }

    /// `host:port` of ``TestServices/kamailioURI`` (`sip:127.0.0.1:25060` gives `127.0.0.1:25060`).
    static var kamailioHostPort: String {
        var uri = Substring(TestServices.kamailioURI)
        if uri.lowercased().hasPrefix("sip:") { uri = uri.dropFirst(4) }
        if let at = uri.firstIndex(of: "@") { uri = uri[uri.index(after: at)...] }
        if let parameters = uri.firstIndex(where: { $0 == ";" || $0 == "?" }) { uri = uri[..<parameters] }
        return String(uri)
    }

    // MARK: - Running

    /// Whether sipp (its watchdog) still runs.
    public var isRunning: Bool { exitStatus == nil }

    /// Waits until sipp exits by itself and returns its exit status (see the type's documentation). If it
    /// still runs after `timeout`, it is stopped and ``Failure`` thrown.
    public func waitForExit(timeout: Duration) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let status = exitStatus { return status }
            guard ContinuousClock.now < deadline else {
                stop()
                throw Failure(message: "sipp (\(scenario.lastPathComponent)) still ran after \(timeout); stopped it.\n"
                              + "errors: \(errorLog)\nmessages:\n\(messageLog)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The requests of `method` received, one per transaction (Call-ID and CSeq; retransmissions of a request
    /// whose answer was late on a loaded machine are left out), in arrival order.
    public func requests(_ method: String) -> [LoggedMessage] {
        var seen = Set<String>()
        return received.filter { message in
            guard message.firstLine.hasPrefix(method + " ") else { return false }
            let lines = message.text.components(separatedBy: "\r\n").map { $0.lowercased() }
            let key = ["call-id:", "cseq:"].map { name in lines.first { $0.hasPrefix(name) } ?? "" }.joined(separator: "|")
            return seen.insert(key).inserted
        }
    }

    /// The bodies of the NOTIFYs received, one per CSeq (retransmissions left out), in arrival order.
    public var notifyBodies: [String] { requests("NOTIFY").map(\.body) }

    /// Waits until `count` distinct NOTIFYs have arrived (a retransmission on a slow machine does not count
    /// twice); false after `timeout`.
    public func waitForNotifies(_ count: Int, timeout: Duration = .seconds(15)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while notifyBodies.count < count {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    /// Waits until one of the NOTIFYs after the first `skip` distinct ones has a body containing `text`; returns
    /// its index in ``notifyBodies``, or nil after `timeout`. Order-safe on a slow machine, where a count of
    /// messages can include retransmissions.
    public func waitForNotify(containing text: String, after skip: Int = 0, timeout: Duration = .seconds(10)) async -> Int? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let bodies = notifyBodies
            if let index = bodies.indices.dropFirst(skip).first(where: { bodies[$0].contains(text) }) { return index }
            guard ContinuousClock.now < deadline else { return nil }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    public func waitUntilReceived(_ count: Int, timeout: Duration = .seconds(5)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while received.count < count {
            guard ContinuousClock.now < deadline, isRunning else { return received.count >= count }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    /// Terminates sipp (SIGTERM through the watchdog, then SIGKILL) and waits until it has exited. Idempotent;
    /// the logs stay readable until the object goes away.
    public func stop() {
        process.stopBlocking(grace: .seconds(3))
    }

    /// The exit status once exited (sipp's, or 128 + the signal that killed it), nil while running. Reaps
    /// the watchdog.
    public var exitStatus: Int32? { process.exitStatus }

    // MARK: - Logs

    /// The `-trace_msg` log: every message sent and received, with timestamps.
    public var messageLog: String { Self.read(messagesPath) }
    /// The `-trace_err` log: unexpected messages, `<error>` actions, the timeout.
    public var errorLog: String { Self.read(errorsPath) }
    /// What sipp wrote on standard error (start-up errors).
    public var standardError: String { Self.read(stderrPath) }
    /// sipp's statistics screens (its standard output): calls, retransmissions, timeouts per scenario step.
    public var screen: String { Self.read(stdoutPath) }

    /// The messages of ``messageLog``, in order.
    public var messages: [LoggedMessage] { Self.parseMessages(messageLog) }
    /// The messages sipp received.
    public var received: [LoggedMessage] { messages.filter(\.received) }
    /// The messages sipp sent.
    public var sent: [LoggedMessage] { messages.filter { !$0.received } }

    private static func read(_ path: String) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }

    /// Splits a `-trace_msg` log: each entry is a dashed line with a timestamp, `UDP message received [N]
    /// bytes :` or `UDP message sent (N bytes):`, an empty line, then the message.
    public static func parseMessages(_ log: String) -> [LoggedMessage] {
        var out: [LoggedMessage] = []
        // "\r\n" is one Character: split bytes, with CRLF and LF alike as line ends.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(log.utf8.count)
        for byte in log.utf8 where byte != 0x0D { bytes.append(byte) }
        let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        var i = 0
        while i < lines.count {
            let line = lines[i]
            guard line.hasPrefix("-----"), i + 1 < lines.count else {
                i += 1
                continue
            }
            let header = lines[i + 1]
            let isReceived = header.contains("message received")
            guard isReceived || header.contains("message sent") else {
                i += 1
                continue
            }
            var j = i + 2
            while j < lines.count, lines[j].trimmingCharacters(in: .whitespaces).isEmpty { j += 1 }
            var body: [String] = []
            while j < lines.count, !lines[j].hasPrefix("-----") {
                body.append(lines[j])
                j += 1
            }
            while let last = body.last, last.trimmingCharacters(in: .whitespaces).isEmpty { body.removeLast() }
            out.append(LoggedMessage(received: isReceived, text: body.joined(separator: "\r\n")))
            i = j
        }
        return out
    }
}
