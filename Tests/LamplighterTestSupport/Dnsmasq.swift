import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A private dnsmasq (from Debian's `dnsmasq-base`, `/usr/sbin/dnsmasq`) answering DNS on 127.0.0.1 with
/// records given by the test, for DNS integration tests.
///
/// It runs in the foreground (`--no-daemon`: no fork, no user switch, no pid file, log to stderr) on a free
/// port of 127.0.0.1 only (`--listen-address=127.0.0.1 --bind-interfaces`), reads no configuration, hosts
/// file or upstream servers, and answers NXDOMAIN for unknown names under ``localDomains`` (REFUSED
/// elsewhere). It needs no privileges.
///
/// It is always terminated: ``stop()`` ends it; ``run(_:localDomains:ttl:_:)`` stops it however the body
/// ends; and because it runs as a ``WatchedProcess`` (under a small `sh` watchdog that kills it when the
/// test process's end of a socket pair, the lifeline, closes), it also ends when the test process exits or
/// crashes without stopping it, or drops the ``Dnsmasq`` without stopping it.
///
/// ```swift
/// try await Dnsmasq.run([.srv("_sip._udp.pbx.test", target: "sip1.pbx.test", port: 5070), .host("sip1.pbx.test", ipv4: "127.0.0.1")]) { dns in
///     let nameserver = try SocketAddress(ipAddress: dns.host, port: dns.port)
/// }
/// ```
public final class Dnsmasq: @unchecked Sendable {
    /// A record (dnsmasq option) to serve.
    public enum Record: Sendable, Hashable {
        /// An SRV record: `--srv-host=<name>,<target>,<port>,<priority>,<weight>`.
        case srv(String, target: String, port: Int, priority: Int = 0, weight: Int = 0)
        /// An SRV record whose target is `.` (service decidedly not available): `--srv-host=<name>`.
        case srvUnavailable(String)
        /// A and/or AAAA records: `--host-record=<name>,<ipv4>,<ipv6>`.
        case host(String, ipv4: String? = nil, ipv6: String? = nil)
        /// A CNAME: `--cname=<alias>,<target>` (the target must be a local name).
        case cname(String, target: String)
        /// Any other dnsmasq option, verbatim.
        case option(String)

        var argument: String {
            switch self {
            case .srv(let name, let target, let port, let priority, let weight):
                "--srv-host=\(name),\(target),\(port),\(priority),\(weight)"
            case .srvUnavailable(let name):
                "--srv-host=\(name)"
            case .host(let name, let ipv4, let ipv6):
                "--host-record=" + ([name] + [ipv4, ipv6].compactMap { $0 }).joined(separator: ",")
            case .cname(let alias, let target):
                "--cname=\(alias),\(target)"
            case .option(let option):
                option
            }
        }
    }

    /// dnsmasq did not start or did not answer.
    public struct StartFailure: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// The executable, from Debian's `dnsmasq-base`.
    public static let executable = "/usr/sbin/dnsmasq"

    /// The address it listens on.
    public let host = "127.0.0.1"
    /// The UDP and TCP port it listens on.
    public let port: Int
    /// dnsmasq's log (queries included), for failure messages.
    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// dnsmasq under its watchdog; dropping it (without ``stop()``) ends dnsmasq too.
    private let process: WatchedProcess
    private let directory: String
    private let logPath: String

    private init(process: WatchedProcess, port: Int, directory: String, logPath: String) {
        self.process = process
        self.port = port
        self.directory = directory
        self.logPath = logPath
    }

    /// Starts dnsmasq serving `records`, and waits until it answers.
    ///
    /// - Parameters:
    ///   - localDomains: domains answered only from `records` (`--local=/d/`): unknown names get NXDOMAIN.
    ///   - ttl: TTL of the served records (`--local-ttl`); dnsmasq's default is 0.
    ///   - timeout: how long to wait for the first answer.
    public static func start(
        _ records: [Record], localDomains: [String] = ["test"], ttl: Int? = nil, timeout: Duration = .seconds(10)
    ) async throws -> Dnsmasq {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw StartFailure(message: "\(executable) not found: install Debian's dnsmasq-base (apt-get install -y dnsmasq-base)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UniqueNames.make("dnsmasq")).path
        var lastFailure = ""
        for _ in 0..<5 {
            let port = try freePort()
            let server = try launch(records, localDomains: localDomains, ttl: ttl, port: port, directory: directory)
            switch await server.waitUntilAnswering(timeout: timeout) {
            case .ready:
                return server
            case .exited(let log) where log.contains("Address already in use"):
                lastFailure = log  // another process took the port in between: try another one
                await server.stop()
            case .exited(let log):
                await server.stop()
                throw StartFailure(message: "dnsmasq exited at start:\n\(log)")
            case .silent(let log):
                await server.stop()
                throw StartFailure(message: "dnsmasq did not answer on \(server.host):\(port) within \(timeout):\n\(log)")
            }
        }
        throw StartFailure(message: "dnsmasq found no free port:\n\(lastFailure)")
    }

    /// Runs `body` with a started dnsmasq and stops it afterwards, whether `body` returns or throws.
    public static func run<T>(
        _ records: [Record], localDomains: [String] = ["test"], ttl: Int? = nil, _ body: (Dnsmasq) async throws -> T
    ) async throws -> T {
        let server = try await start(records, localDomains: localDomains, ttl: ttl)
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    /// Whether the watchdog (and so dnsmasq) still runs; reaps it once it has exited.
    public var isRunning: Bool { process.isRunning }

    /// Terminates dnsmasq and waits until it has exited; removes its temporary folder. Idempotent.
    public func stop() async {
        // SIGTERM through the watchdog; after 5 s, SIGKILL to the shell, whose watcher child ends dnsmasq.
        await process.stop(grace: .seconds(5))
        try? FileManager.default.removeItem(atPath: directory)
    }

    // MARK: - Starting

    private static func launch(_ records: [Record], localDomains: [String], ttl: Int?, port: Int, directory: String) throws -> Dnsmasq {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let logPath = directory + "/dnsmasq-\(port).log"
        var arguments = [
            "--no-daemon", "--keep-in-foreground", "--port=\(port)", "--listen-address=127.0.0.1", "--bind-interfaces",
            "--no-resolv", "--no-hosts", "--conf-file=/dev/null", "--pid-file=\(directory)/dnsmasq-\(port).pid",
            "--log-facility=-", "--log-queries",
        ]
        arguments += localDomains.map { "--local=/\($0)/" }
        if let ttl { arguments.append("--local-ttl=\(ttl)") }
        arguments += records.map(\.argument)
        do {
            let process = try WatchedProcess.spawn([executable] + arguments, standardOutput: logPath, permissions: 0o644)
            return Dnsmasq(process: process, port: port, directory: directory, logPath: logPath)
        } catch let failure as WatchedProcess.SpawnFailure {
            throw StartFailure(message: "cannot start dnsmasq: \(failure.message)")
        }
    }

    private enum Readiness {
        case ready
        case exited(String)
        case silent(String)
    }

    private func waitUntilAnswering(timeout: Duration) async -> Readiness {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard isRunning else { return .exited(log) }
            if Self.answers(host: host, port: port) { return .ready }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return .silent(log)
    }

    /// Whether a DNS query (`ready.invalid A`) to `host:port` gets any response within 200 ms.
    private static func answers(host: String, port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = loopback(port: port)
        let query: [UInt8] = [0x4c, 0x4c, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
            + [5] + Array("ready".utf8) + [7] + Array("invalid".utf8) + [0, 0, 1, 0, 1]
        let sent = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, query, query.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard sent == query.count else { return false }
        var buffer = [UInt8](repeating: 0, count: 512)
        let received = recv(fd, &buffer, buffer.count, 0)
        return received >= 12 && buffer[0] == 0x4c && buffer[1] == 0x4c
    }

    /// A port of 127.0.0.1 that is free for UDP and TCP right now.
    private static func freePort() throws -> Int {
        for _ in 0..<20 {
            let udp = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            guard udp >= 0 else { break }
            defer { close(udp) }
            var address = loopback(port: 0)
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(udp, $0, length) == 0 && getsockname(udp, $0, &length) == 0 }
            }
            guard bound else { continue }
            let port = Int(UInt16(bigEndian: address.sin_port))
            // dnsmasq also listens on TCP: check that this port is free there too.
            let tcp = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard tcp >= 0 else { break }
            defer { close(tcp) }
            var tcpAddress = loopback(port: port)
            let tcpFree = withUnsafePointer(to: &tcpAddress) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(tcp, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
            if tcpFree { return port }
        }
        throw StartFailure(message: "no free port on 127.0.0.1 (errno \(errno))")
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}
