#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the figures were measured on.
struct Machine {
    var cpus: Int
    var cpuModel: String
    var loadAverage: String

    static func current() -> Machine {
        let cpus = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        let cpuinfo = readTextFile("/proc/cpuinfo") ?? ""
        let model = cpuinfo.split(separator: "\n")
            .first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: " \t") } ?? "unknown"
        let load = (readTextFile("/proc/loadavg") ?? "?").split(separator: " ").prefix(3).joined(separator: " ")
        return Machine(cpus: cpus, cpuModel: model, loadAverage: load)
    }
}

/// Reads a small text file (procfs) with plain POSIX calls.
func readTextFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n <= 0 { break }
        bytes.append(contentsOf: chunk[0..<n])
    }
    return String(decoding: bytes, as: UTF8.self)
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var s = self[...]
        while let c = s.first, set.contains(c) { s = s.dropFirst() }
        while let c = s.last, set.contains(c) { s = s.dropLast() }
        return String(s)
    }
}
