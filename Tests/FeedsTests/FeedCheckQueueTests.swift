import Testing
@testable import Feeds

/// One pending check per feed and key, the earliest asked for: a registrar's re-registrations no longer pile up
/// one entry each for as long as the contact's expiry.
@Suite struct FeedCheckQueueTests {
    typealias Entry = FeedCheckQueue.Entry

    @Test func laterRequestsForAKeyWithAPendingCheckAreDropped() {
        var queue = FeedCheckQueue()
        for n in 0..<10_000 { queue.push(Entry(at: 1_000 + Double(n), feed: .registrations, key: "sip:201@pbx")) }
        #expect(queue.count == 1)
        #expect(queue.storedEntries == 1, "no memory per re-registration")
        #expect(queue.popDue(now: 999) == nil)
        #expect(queue.popDue(now: 5_000) == Entry(at: 1_000, feed: .registrations, key: "sip:201@pbx"))
        #expect(queue.popDue(now: 20_000) == nil, "the adapter asks again for what is still pending")
        #expect(queue.count == 0)
    }

    @Test func anEarlierRequestTakesThePlaceOfALaterOneWhichIsSkipped() {
        var queue = FeedCheckQueue()
        queue.push(Entry(at: 120, feed: .dialogs, key: "dialog sip:201@pbx"))
        queue.push(Entry(at: 2, feed: .dialogs, key: "dialog sip:201@pbx"))
        #expect(queue.count == 1)
        #expect(queue.popDue(now: 1_000) == Entry(at: 2, feed: .dialogs, key: "dialog sip:201@pbx"))
        #expect(queue.popDue(now: 1_000) == nil, "the replaced check at 120 is stale")
        #expect(queue.storedEntries == 0)
    }

    @Test func keysAndFeedsAreIndependentAndComeOutInTimeOrder() {
        var queue = FeedCheckQueue()
        queue.push(Entry(at: 30, feed: .registrations, key: "a"))
        queue.push(Entry(at: 10, feed: .dialogs, key: "a"))
        queue.push(Entry(at: 20, feed: .registrations, key: "b"))
        #expect(queue.count == 3)
        var order: [Entry] = []
        while let entry = queue.popDue(now: 100) { order.append(entry) }
        #expect(order.map(\.at) == [10, 20, 30])
        // Asked again after firing: a new check.
        queue.push(Entry(at: 200, feed: .registrations, key: "a"))
        #expect(queue.popDue(now: 200)?.key == "a")
    }
}
