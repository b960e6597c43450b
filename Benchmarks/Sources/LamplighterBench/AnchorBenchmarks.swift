// The anchor: Kamailio as registrar with usrloc + pua + pua_usrloc (deploy/kamailio/anchor.cfg) publishing to the
// same PUBLISH responder, driven by sipp REGISTERs of new AORs (Benchmarks/anchor/uac_register_bench.xml).
#if canImport(Glibc)
import Glibc
#endif

struct AnchorFigure {
    /// REGISTERs or calls.
    var registrations: Int
    var rate: Int
    var publishes: Int
    /// From the first REGISTER to the last PUBLISH answered.
    var wall: Duration
    /// CPU of every Kamailio process (registrar and pua work) over that time.
    var kamailioCPU: Duration
    /// sipp's exit status: 0 when every REGISTER or call succeeded.
    var sippStatus: Int32
    var perSecond: Double { Double(publishes) / max(wall.seconds, 1e-9) }
    var perCPUSecond: Double { Double(publishes) / max(kamailioCPU.seconds, 1e-9) }
}

enum AnchorBenchmarks {
    /// The repository (this file is Benchmarks/Sources/LamplighterBench/AnchorBenchmarks.swift).
    static let repository: String = {
        var path = #filePath
        for _ in 0..<4 { path = String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]) }
        return path
    }()

    /// A UDP port free now on 127.0.0.1.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw BenchError("no free UDP port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Runs a shell command line (inheriting the environment); its exit status.
    static func shell(_ command: String) -> Int32 {
        let status = system(command)
        return (status >> 8) & 0xFF
    }

    /// User + system CPU of process `pid` and its children, from /proc.
    static func cpu(ofTree pid: Int32) -> Duration {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        var total = 0.0
        guard let directory = opendir("/proc") else { return .zero }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let candidate = Int32(name), let stat = String(contentsOfProc: "/proc/\(name)/stat") else { continue }
            // Fields after the command (which may hold spaces) in parentheses: state ppid … utime(14) stime(15).
            guard let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 13, let ppid = Int32(fields[1]), candidate == pid || ppid == pid,
                  let user = Double(fields[11]), let system = Double(fields[12]) else { continue }
            total += (user + system) / ticks
        }
        return .milliseconds(Int64(total * 1000))
    }

    /// What sipp plays against the anchor.
    enum Workload {
        /// REGISTERs of new AORs (one contact insert, one PIDF PUBLISH each).
        case registrations
        /// Calls from a<n> to c<n> through Kamailio to a sipp answering them, held 0.5 s.
        case calls
    }

    static func run(_ workload: Workload, count: Int, rate: Int, pgPort: Int) async throws -> AnchorFigure {
        let responder = try ChildProcess(arguments: [EngineBenchmarks.responderFlag])
        defer { responder.finish() }
        guard let portLine = responder.readLine(), portLine.hasPrefix("port "), let responderPort = Int(portLine.dropFirst(5)) else {
            throw BenchError("publish responder did not report its port")
        }
        func answered() throws -> Int {
            responder.send("count")
            guard let line = responder.readLine(), line.hasPrefix("count "), let count = Int(line.dropFirst(6)) else {
                throw BenchError("publish responder did not report its count")
            }
            return count
        }
        let sipPort = try freePort()
        let calleePort = try freePort()
        let directory = "\(repository)/.state/bench-anchor-\(getpid())"
        let script = "\(repository)/deploy/kamailio-anchor"
        let ports = "\(sipPort) \(responderPort) \(pgPort) \(calleePort)"
        guard shell("mkdir -p '\(directory)' && bash '\(script)' start '\(directory)' \(ports) > '\(directory).log' 2>&1") == 0 else {
            throw BenchError("the anchor Kamailio did not start; see \(directory).log and \(directory)/anchor.log")
        }
        defer {
            _ = shell("bash '\(script)' stop '\(directory)' \(ports) >> '\(directory).log' 2>&1")
            _ = shell("rm -rf '\(directory)' '\(directory).log'")
        }
        guard let pidText = String(contentsOfProc: "\(directory)/anchor.pid"),
              let pid = Int32(pidText.trimmingCharacters(in: " \n")) else {
            throw BenchError("the anchor Kamailio's pid file is missing")
        }
        let common = "-i 127.0.0.1 -nostdin -timeout 300s -timeout_error -trace_err"
        var callees: Task<Int32, Never>?
        if workload == .calls {
            let uas = "sipp -sf '\(repository)/Benchmarks/anchor/uas_answer_bench.xml' -p \(calleePort) -m \(count) \(common) "
                + "-error_file '\(directory)/sipp-uas-errors.log' > /dev/null 2>&1"
            callees = Task.detached { shell("cd '\(directory)' && \(uas)") }
            try await Task.sleep(for: .milliseconds(500))
        }
        defer { if callees != nil { _ = shell("pkill -f 'uas_answer_bench.xml.*-p \(calleePort)' 2>/dev/null") } }
        let scenario = workload == .calls ? "uac_call_bench.xml" : "uac_register_bench.xml"
        let sipp = "sipp 127.0.0.1:\(sipPort) -sf '\(repository)/Benchmarks/anchor/\(scenario)' -r \(rate) -rp 1000 -m \(count) "
            + "-l \(max(rate, 1000)) -t u1 \(common) -error_file '\(directory)/sipp-errors.log' > /dev/null 2>&1"
        let before = try answered()
        let cpuBefore = cpu(ofTree: pid)
        let start = ContinuousClock.now
        // sipp runs on its own; the count is sampled until none came for 3 s (calls: after their last BYE).
        let phones = Task.detached { shell("cd '\(directory)' && \(sipp)") }
        var last = before
        var lastAt = start
        while true {
            try await Task.sleep(for: .milliseconds(20))
            let now = try answered()
            if now != last {
                last = now
                lastAt = .now
            }
            if workload == .registrations, last - before >= count { break }
            if ContinuousClock.now - lastAt > .seconds(3) { break }
        }
        let cpuAfter = cpu(ofTree: pid)
        let status = await phones.value
        return AnchorFigure(
            registrations: count, rate: rate, publishes: last - before, wall: lastAt - start, kamailioCPU: cpuAfter - cpuBefore,
            sippStatus: status)
    }
}

extension String {
    /// A small file under /proc (or anywhere) read whole; nil if it cannot be read.
    init?(contentsOfProc path: String) {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        self = String(decoding: bytes, as: UTF8.self)
    }

    func trimmingCharacters(in set: String) -> String {
        var text = Substring(self)
        while let first = text.first, set.contains(first) { text = text.dropFirst() }
        while let last = text.last, set.contains(last) { text = text.dropLast() }
        return String(text)
    }
}
