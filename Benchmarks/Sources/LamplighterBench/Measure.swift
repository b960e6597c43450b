#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// CPU time of the calling thread (user + system).
func threadCPUTime() -> Duration {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return .seconds(Int64(ts.tv_sec)) + .nanoseconds(Int64(ts.tv_nsec))
}

/// User and system CPU time of the whole process (every thread), from getrusage.
struct ProcessCPU: Sendable {
    var user: Duration
    var system: Duration
    var total: Duration { user + system }

    static func now() -> ProcessCPU {
        var usage = rusage()
        #if os(Linux)
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        func duration(_ t: timeval) -> Duration { .seconds(Int64(t.tv_sec)) + .microseconds(Int64(t.tv_usec)) }
        return ProcessCPU(user: duration(usage.ru_utime), system: duration(usage.ru_stime))
    }

    static func - (a: ProcessCPU, b: ProcessCPU) -> ProcessCPU {
        ProcessCPU(user: a.user - b.user, system: a.system - b.system)
    }
}

/// Peak resident set size of this process so far, bytes.
func peakRSSBytes() -> Int {
    var usage = rusage()
    #if os(Linux)
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Int(usage.ru_maxrss) * 1024  // KiB on Linux
    #else
    getrusage(RUSAGE_SELF, &usage)
    return Int(usage.ru_maxrss)  // bytes on Darwin
    #endif
}

/// Resident set size now, bytes (Linux: /proc/self/statm).
func currentRSSBytes() -> Int {
    guard let statm = readTextFile("/proc/self/statm") else { return 0 }
    let fields = statm.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

extension Duration {
    var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}

/// Keeps a value alive so the optimiser cannot drop the work that produced it.
@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}

/// One timed run: how many operations, and the CPU and wall time they took.
struct RunSample {
    var operations: Int
    var cpu: Duration
    var wall: Duration

    var perCPUSecond: Double { Double(operations) / max(cpu.seconds, 1e-9) }
    var perWallSecond: Double { Double(operations) / max(wall.seconds, 1e-9) }
}

/// Runs `operation` in batches on the calling thread until `duration` of wall time has passed, `runs`
/// times, after one untimed warm-up run. CPU time is the thread's, so the rate is per core even
/// when other processes share the machine.
func measureRate(runs: Int, duration: Duration, batch: Int = 64, _ operation: () -> Void) -> [RunSample] {
    let clock = ContinuousClock()
    var samples: [RunSample] = []
    for run in 0...runs {
        let wallStart = clock.now
        let cpuStart = threadCPUTime()
        var operations = 0
        let deadline = wallStart + (run == 0 ? duration / 4 : duration)
        repeat {
            for _ in 0..<batch { operation() }
            operations += batch
        } while clock.now < deadline
        let sample = RunSample(operations: operations, cpu: threadCPUTime() - cpuStart, wall: clock.now - wallStart)
        if run > 0 { samples.append(sample) }
    }
    return samples
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    let mid = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
