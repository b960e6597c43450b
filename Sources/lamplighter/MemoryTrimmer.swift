import CMalloc
import Foundation
import Logging
import Metrics
import NIOPosix
import ServiceLifecycle

/// Returns freed heap pages to the kernel every `memory.trim_interval` seconds.
///
/// glibc keeps pages freed inside its heaps (one per thread arena) resident until the top of a heap is free, so
/// a daemon that replaces small bodies and ETags all day keeps the high-water mark of every arena: the soak's RSS
/// crept while its live heap stayed flat (heaptrack). See also ``configureAllocator(arenas:environment:)``. `malloc_trim(0)` gives every
/// whole free page of every arena back (`MADV_DONTNEED`), so RSS follows what is in use. It runs on NIO's
/// thread pool: it holds each arena's lock while it walks the free lists.
struct MemoryTrimmer: Service {
    /// What one trim did.
    struct Outcome: Sendable, Equatable {
        /// Resident set before, bytes.
        var residentBefore: Int
        /// Resident set after, bytes.
        var residentAfter: Int
        /// Bytes the resident set shrank by (0 when it grew meanwhile).
        var released: Int { max(0, residentBefore - residentAfter) }
    }

    let interval: Duration
    let logger: Logger
    let trims = Counter(label: "lamplighter_memory_trims_total")
    let releasedBytes = Counter(label: "lamplighter_memory_released_bytes_total")
    let resident = Gauge(label: "lamplighter_process_resident_bytes")
    let duration = Timer(label: "lamplighter_memory_trim_seconds", preferredDisplayUnit: .seconds)

    /// `interval` zero never trims (the service then only waits for shutdown).
    init(interval: Duration, logger: Logger) {
        self.interval = interval
        self.logger = logger
    }

    func run() async throws {
        guard interval > .zero else {
            try? await gracefulShutdown()
            return
        }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
            let started = ContinuousClock.now
            guard let outcome = try? await NIOThreadPool.singleton.runIfActive({ Self.trim() }) else { return }
            let (seconds, attoseconds) = (ContinuousClock.now - started).components
            duration.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
            trims.increment()
            releasedBytes.increment(by: outcome.released)
            resident.record(outcome.residentAfter)
            logger.debug("returned freed heap pages", metadata: [
                "resident_before": "\(outcome.residentBefore)", "resident_after": "\(outcome.residentAfter)",
            ])
        }
    }

    /// Gives every whole free heap page back to the kernel and reports the resident set around it.
    static func trim() -> Outcome {
        let before = residentBytes()
        malloc_trim(0)
        return Outcome(residentBefore: before, residentAfter: residentBytes())
    }

    /// This process's resident set (`/proc/self/statm`, second field, in pages), bytes; 0 when unreadable.
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .ascii) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
