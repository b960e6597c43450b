import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process (a test peer such as sipp or dnsmasq) that cannot outlive the test process.
///
/// The command runs under a small `/bin/sh` watchdog: the command in the background, and a second child
/// that waits for end-of-file on the lifeline (a socket pair whose other end only this object holds) and
/// then sends the command SIGTERM. The lifeline closes when ``stop(grace:)`` or ``stopBlocking(grace:)``
/// is called, when the object goes away, and when the test process exits or crashes, so the command always
/// ends. The watchdog exits with the command's status.
///
/// It is spawned with `posix_spawn` rather than Foundation's `Process`, which passes on the calling
/// thread's signal mask: from a Swift concurrency (Dispatch) thread that blocks SIGTERM and SIGCHLD, so
/// `sh` would never see its child exit and the command would ignore SIGTERM. Here the mask is empty and the
/// usual signals have their default action. The lifeline is made close-on-exec atomically, and the child
/// inherits no descriptor but standard input (the lifeline, for the watchdog only), output and error.
final class WatchedProcess: @unchecked Sendable {
    /// The process could not be spawned.
    struct SpawnFailure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// The watchdog's process id (the command is its child).
    let pid: pid_t
    /// Where the watchdog writes the command's process id, if anywhere.
    let pidFile: String?

    /// Our end of the lifeline: when it closes, the watchdog terminates the command.
    private let lifeline: Int32
    private let lock = NSLock()
    private var lifelineClosed = false
    private var reapedStatus: Int32?

    /// The watchdog under `sh -c`: `$1` the working directory (empty: unchanged), `$2` the file to write the
    /// command's pid to (empty: none), then the command. The lifeline is its standard input, moved to fd 3.
    private static let watchdog = """
        [ -z "$1" ] || cd "$1" || exit 125
        pidfile=$2
        shift 2
        exec 3<&0
        "$@" </dev/null 3<&- &
        child=$!
        [ -z "$pidfile" ] || echo "$child" > "$pidfile"
        ( read -r _ <&3; kill -TERM "$child" 2>/dev/null ) </dev/null &
        watcher=$!
        exec 3<&-
        wait "$child"
        status=$?
        kill "$watcher" 2>/dev/null
        exit "$status"
        """

    /// Signals reset to their default action in the watchdog (and so in the command).
    private static let defaultSignals = [SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGALRM, SIGTERM, SIGCHLD, SIGUSR1, SIGUSR2]

    private init(pid: pid_t, lifeline: Int32, pidFile: String?) {
        self.pid = pid
        self.lifeline = lifeline
        self.pidFile = pidFile
    }

    deinit {
        // Closing our end of the lifeline makes the watchdog end the command, even if it was never stopped.
        closeLifeline()
    }

    /// Spawns `command` (`command[0]` a path) under the watchdog.
    ///
    /// - Parameters:
    ///   - workingDirectory: the command's working directory; nil: the test process's.
    ///   - pidFile: where the watchdog writes the command's pid (see ``commandPID``); nil: nowhere.
    ///   - standardOutput: file receiving the command's standard output, created or truncated.
    ///   - standardError: file receiving its standard error; nil: the same file (and file offset) as
    ///     standard output.
    ///   - permissions: of the files created for standard output and error.
    ///   - environment: the command's environment; nil: the test process's.
    static func spawn(
        _ command: [String], workingDirectory: String? = nil, pidFile: String? = nil, standardOutput: String,
        standardError: String? = nil, permissions: mode_t = 0o600, environment: [String: String]? = nil
    ) throws -> WatchedProcess {
        let output = open(standardOutput, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, permissions)
        guard output >= 0 else { throw SpawnFailure(message: "cannot write \(standardOutput) (errno \(errno))") }
        defer { close(output) }
        var error = output
        if let standardError {
            error = open(standardError, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, permissions)
            guard error >= 0 else { throw SpawnFailure(message: "cannot write \(standardError) (errno \(errno))") }
        }
        defer { if error != output { close(error) } }
        // A socket pair rather than pipe2 (not exported to Swift): made close-on-exec atomically, so that no
        // other child spawned meanwhile inherits our end.
        var lifelineEnds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &lifelineEnds) == 0 else {
            throw SpawnFailure(message: "socketpair failed (errno \(errno))")
        }
        defer { close(lifelineEnds[0]) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, lifelineEnds[0], 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, error, 2)
        // Close whatever else is open (sockets of the test, other watchdogs' lifelines): a closed one is ignored.
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
            if let fd = Int32(entry), fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in defaultSignals { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let arguments = ["/bin/sh", "-c", watchdog, "sh", workingDirectory ?? "", pidFile ?? ""] + command
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp: [UnsafeMutablePointer<CChar>?]? = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { envp?.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = envp.map { envp in
            envp.withUnsafeBufferPointer { posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, $0.baseAddress) }
        } ?? posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, environ)
        guard spawned == 0 else {
            close(lifelineEnds[1])
            throw SpawnFailure(message: "posix_spawn /bin/sh failed (error \(spawned))")
        }
        return WatchedProcess(pid: pid, lifeline: lifelineEnds[1], pidFile: pidFile)
    }

    /// The command's pid, once the watchdog has written it to ``pidFile``; nil without a pid file.
    var commandPID: pid_t? {
        guard let pidFile, let text = try? String(contentsOfFile: pidFile, encoding: .utf8) else { return nil }
        return pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The exit status once exited (the command's, or 128 + the signal that killed the watchdog; -1 if
    /// reaped elsewhere), nil while running. Reaps the watchdog.
    var exitStatus: Int32? {
        lock.withLock {
            if let reapedStatus { return reapedStatus }
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid {
                reapedStatus = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
            } else if result == -1, errno == ECHILD {
                reapedStatus = -1  // reaped elsewhere: gone, status unknown
            }
            return reapedStatus
        }
    }

    /// Whether the watchdog (and so, in practice, the command) still runs; reaps it once it has exited.
    var isRunning: Bool { exitStatus == nil }

    /// Terminates the command (SIGTERM through the watchdog) and waits up to `grace` for the watchdog to
    /// exit; then kills the command (if its pid is known) and the watchdog with SIGKILL, and waits up to
    /// `grace` again. Idempotent.
    func stop(grace: Duration) async {
        closeLifeline()
        if await waitForExit(within: grace) { return }
        killAll()
        _ = await waitForExit(within: grace)
    }

    /// ``stop(grace:)`` blocking the calling thread, for synchronous contexts such as `deinit`.
    func stopBlocking(grace: Duration) {
        closeLifeline()
        if waitForExitBlocking(within: grace) { return }
        killAll()
        _ = waitForExitBlocking(within: grace)
    }

    /// Closes our end of the lifeline (once): the watchdog then sends the command SIGTERM.
    private func closeLifeline() {
        let first: Bool = lock.withLock {
            defer { lifelineClosed = true }
            return !lifelineClosed
        }
        if first { close(lifeline) }
    }

    /// SIGKILL to the command if its pid is known, and to the watchdog (whose watcher child, having seen the
    /// lifeline close, also terminates the command).
    private func killAll() {
        if let commandPID { kill(commandPID, SIGKILL) }
        kill(pid, SIGKILL)
    }

    /// Polls until the watchdog has exited; false on timeout.
    private func waitForExit(within timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while isRunning {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    /// Polls until the watchdog has exited, blocking the thread; false on timeout.
    private func waitForExitBlocking(within timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while isRunning {
            if ContinuousClock.now >= deadline { return false }
            usleep(5_000)
        }
        return true
    }
}
