import Testing
@testable import PUACore

@Suite struct TimerHeapTests {
    let t = ContinuousClock.now
    func key(_ n: Int) -> PublicationKey { PublicationKey(presentity: "sip:u\(n)@h", event: "presence") }

    @Test func popsInTimeOrderOnlyWhatIsDue() {
        var heap = TimerHeap()
        let offsets = [50, 10, 40, 30, 20, 60, 0]
        for (n, offset) in offsets.enumerated() {
            heap.push(TimerHeap.Entry(at: t + .seconds(offset), key: key(n), generation: UInt64(n)))
        }
        var popped: [Int] = []
        while let entry = heap.popDue(now: t + .seconds(35)) { popped.append(Int(entry.generation)) }
        #expect(popped == [6, 1, 4, 3])  // offsets 0, 10, 20, 30
        #expect(heap.count == 3)
        #expect(heap.first?.at == t + .seconds(40))
        #expect(heap.popDue(now: t + .seconds(39)) == nil)
    }

    @Test func rebuildKeepsOrder() {
        var heap = TimerHeap()
        heap.rebuild(from: (0..<100).map { TimerHeap.Entry(at: t + .milliseconds(($0 * 37) % 100), key: key($0), generation: UInt64($0)) })
        var last = t - .seconds(1)
        var count = 0
        while let entry = heap.popDue(now: t + .seconds(1)) {
            #expect(entry.at >= last)
            last = entry.at
            count += 1
        }
        #expect(count == 100)
    }
}
