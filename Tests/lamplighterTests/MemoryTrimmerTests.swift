import Foundation
import Testing

@testable import lamplighter

#if canImport(Glibc)
import Glibc
#endif

/// The trimmer gives pages freed inside the heap back to the kernel, which glibc alone keeps resident.
@Suite(.serialized) struct MemoryTrimmerTests {
    @Test func freedPagesInsideTheHeapAreReturned() {
        // 64 MiB of 4 KiB blocks (below the mmap threshold: they come from the heap), written so they are resident;
        // then 15 of every 16 freed. The survivors pin each hole, so free() cannot shrink the heap from its top.
        let blockSize = 4096, count = 16_384
        var blocks: [UnsafeMutableRawPointer] = []
        blocks.reserveCapacity(count)
        for _ in 0..<count {
            guard let block = malloc(blockSize) else { Issue.record("malloc failed"); return }
            memset(block, 0x5a, blockSize)
            blocks.append(block)
        }
        for (index, block) in blocks.enumerated() where index % 16 != 15 { free(block) }
        let outcome = MemoryTrimmer.trim()
        for (index, block) in blocks.enumerated() where index % 16 == 15 { free(block) }
        #expect(outcome.residentBefore > 64 << 20, "the blocks were resident: \(outcome)")
        // 60 MiB were freed; other tests run alongside, so ask for half of it back.
        #expect(outcome.released > 30 << 20, "\(outcome)")
    }

    @Test func theAllocatorSettingsDeferToTheEnvironment() {
        #expect(MemoryTrimmer.configureAllocator(arenas: 0, environment: ["MALLOC_MMAP_THRESHOLD_": "65536"])
            == .init(arenas: nil, mmapThreshold: nil), "0 keeps glibc's arenas; the environment's threshold holds")
        #expect(MemoryTrimmer.configureAllocator(arenas: 2, environment: ["MALLOC_ARENA_MAX": "4", "MALLOC_MMAP_THRESHOLD_": "65536"])
            == .init(arenas: nil, mmapThreshold: nil))
        #expect(MemoryTrimmer.configureAllocator(arenas: 2, environment: ["GLIBC_TUNABLES": "glibc.malloc.arena_max=4:glibc.malloc.mmap_threshold=65536"])
            == .init(arenas: nil, mmapThreshold: nil))
        // Set for real: this test process keeps at most 16 arenas (glibc's default on a 2-core machine).
        #expect(MemoryTrimmer.configureAllocator(arenas: 16, environment: ["GLIBC_TUNABLES": "glibc.malloc.tcache_count=7"])
            == .init(arenas: 16, mmapThreshold: 1 << 20))
    }

    @Test func blocksOfAMebibyteStayMappedAfterABiggerOneIsFreed() throws {
        _ = MemoryTrimmer.configureAllocator(arenas: 16, environment: [:])
        // glibc's own threshold rises to the size of each mapped block freed: after an 8 MiB block is freed, 2 MiB
        // would come from the heap and leave a hole there when freed. Fixed at 1 MiB, it is mapped (glibc marks a
        // mapped chunk with bit 1 of the size word before the pointer) and unmapped when freed.
        let big = try #require(malloc(8 << 20))
        memset(big, 1, 8 << 20)
        free(big)
        let block = try #require(malloc(2 << 20))
        defer { free(block) }
        let sizeWord = block.load(fromByteOffset: -MemoryLayout<Int>.size, as: Int.self)
        #expect(sizeWord & 0x2 != 0, "2 MiB block not mapped: size word \(String(sizeWord, radix: 16))")
    }

    @Test func theResidentSetIsReadFromProc() {
        let resident = MemoryTrimmer.residentBytes()
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
        let kib = line.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        #expect(resident > 0)
        // Both are read a moment apart: within 16 MiB of each other.
        #expect(abs(resident - kib * 1024) < 16 << 20, "statm \(resident) B, status \(kib) KiB")
    }
}
