import CMalloc
import Foundation

extension MemoryTrimmer {
    /// Allocations of at least this size get pages of their own (`M_MMAP_THRESHOLD`), unmapped when freed.
    static let mmapThreshold = 1 << 20

    /// How glibc's malloc was set up by ``configureAllocator(arenas:environment:)``.
    struct AllocatorSettings: Sendable, Equatable {
        /// The arena cap set, nil when glibc's default or the environment's holds.
        var arenas: Int?
        /// The mmap threshold set, nil when the environment's holds.
        var mmapThreshold: Int?
    }

    /// Sets glibc's malloc up for a long-running daemon, before it starts its threads, unless the environment
    /// (`MALLOC_ARENA_MAX`, `MALLOC_MMAP_THRESHOLD_`, `GLIBC_TUNABLES`) already says:
    /// - arenas capped at `arenas` (`M_ARENA_MAX`; 0 keeps glibc's 8 per core): fewer arenas reuse each other's
    ///   freed memory, where with one per thread the holes freed in an arena wait for its own thread;
    /// - a fixed mmap threshold of 1 MiB: glibc otherwise raises the threshold to the size of each mapped block
    ///   freed (up to 32 MiB), so the engine's timer heap (tens of MB, reallocated as it grows between
    ///   compactions) and write-behind batches then come from the heap, and their holes, filled with small
    ///   objects, kept the soak's RSS climbing in 10–15 MB steps. Mapped blocks go back to the kernel when freed.
    static func configureAllocator(arenas: Int, environment: [String: String] = ProcessInfo.processInfo.environment) -> AllocatorSettings {
        let tunables = environment["GLIBC_TUNABLES"] ?? ""
        var settings = AllocatorSettings()
        if arenas > 0, environment["MALLOC_ARENA_MAX"] == nil, !tunables.contains("arena_max"),
           mallopt(M_ARENA_MAX, Int32(arenas)) == 1 {
            settings.arenas = arenas
        }
        if environment["MALLOC_MMAP_THRESHOLD_"] == nil, !tunables.contains("mmap_threshold"),
           mallopt(M_MMAP_THRESHOLD, Int32(mmapThreshold)) == 1 {
            settings.mmapThreshold = mmapThreshold
        }
        return settings
    }
}
