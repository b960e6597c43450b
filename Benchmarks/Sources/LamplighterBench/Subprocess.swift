#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process (this same binary with other arguments) talked to by lines over its stdin/stdout.
final class ChildProcess {
    let pid: pid_t
    private var toChild: Int32
    private let fromChild: Int32
    private var buffer: [UInt8] = []

    /// Starts `executable` (default: this one) with `arguments`; the child's stderr is ours.
    init(executable: String? = nil, arguments: [String]) throws(BenchError) {
        var input: [Int32] = [-1, -1]
        var output: [Int32] = [-1, -1]
        guard pipe(&input) == 0, pipe(&output) == 0 else { throw BenchError("pipe failed: errno \(errno)") }
        // Close-on-exec, so the child keeps only its dup2'd stdin/stdout (and sees EOF when we close ours).
        for fd in input + output { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)  // dup2 clears FD_CLOEXEC on 0 and 1
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        let path = executable ?? Self.executablePath()
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp: [UnsafeMutablePointer<CChar>?] = [nil]
        var pid = pid_t()
        let rc = posix_spawn(&pid, path, &actions, nil, argv, envp)
        close(input[0])
        close(output[1])
        guard rc == 0 else {
            close(input[1])
            close(output[0])
            throw BenchError("posix_spawn \(path) failed: \(rc)")
        }
        self.pid = pid
        self.toChild = input[1]
        self.fromChild = output[0]
    }

    static func executablePath() -> String {
        var bytes = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &bytes, bytes.count - 1)
        if n > 0 { return String(decoding: bytes[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        return CommandLine.arguments[0]
    }

    func send(_ line: String) {
        writeAll(toChild, line + "\n")
    }

    /// The next line from the child, nil at end of file.
    func readLine() -> String? {
        while true {
            if let nl = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeFirst(nl + 1)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { read(fromChild, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return nil }
            buffer.append(contentsOf: chunk[0..<n])
        }
    }

    /// Closes the child's stdin (its signal to stop) and waits for it.
    /// Kills the child, then waits (for children that do not stop at end of stdin, such as a throwaway redis-server).
    func terminate() {
        kill(pid, SIGKILL)
        finish()
    }

    func finish() {
        if toChild >= 0 {
            close(toChild)
            toChild = -1
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        close(fromChild)
    }
}

/// Writes a whole string to a file descriptor (unbuffered, so it reaches a pipe at once).
func writeAll(_ fd: Int32, _ text: String) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n < 0, errno == EINTR { continue }
        if n <= 0 { return }
        bytes = bytes.dropFirst(n)
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
