import Testing
@testable import PUACore

/// Always returns 2^63, so every jitter fraction is exactly 0.5.
struct HalfRandom: RandomNumberGenerator, Sendable {
    mutating func next() -> UInt64 { 1 << 63 }
}

@Suite struct PublicationMachineTests {
    typealias Action = PublicationMachine.Action

    let t = ContinuousClock.now
    let open: [UInt8] = Array("<basic>open</basic>".utf8)
    let busy: [UInt8] = Array("<basic>busy</basic>".utf8)
    let away: [UInt8] = Array("<basic>away</basic>".utf8)
    let pidf = "application/pidf+xml"

    func machine(_ configuration: PublicationMachine.Configuration = .init()) -> PublicationMachine {
        PublicationMachine(configuration: configuration, random: HalfRandom())
    }

    func initial(_ body: [UInt8], expires: Int = 3600) -> Action {
        .sendPublish(PublishRequest(ifMatch: nil, body: body, contentType: pidf, expires: expires))
    }

    func modify(_ etag: String, _ body: [UInt8], expires: Int = 3600) -> Action {
        .sendPublish(PublishRequest(ifMatch: etag, body: body, contentType: pidf, expires: expires))
    }

    func refresh(_ etag: String, expires: Int = 3600) -> Action {
        .sendPublish(PublishRequest(ifMatch: etag, body: nil, contentType: nil, expires: expires))
    }

    func remove(_ etag: String) -> Action {
        .sendPublish(PublishRequest(ifMatch: etag, body: nil, contentType: nil, expires: 0))
    }

    func ok(_ etag: String, expires: Int = 3600) -> PublishReply {
        PublishReply(statusCode: 200, etag: etag, expires: expires)
    }

    /// Default configuration, 3600 s granted: from 40 % of it to 3600 − 360 (10 %).
    func refreshTimer(after start: ContinuousClock.Instant, generation: UInt64, granted: Int = 3600, latest: Int = 3_240_000) -> Action {
        .scheduleRefresh(earliest: start + .milliseconds(granted * 400), latest: start + .milliseconds(latest), generation: generation)
    }

    func failure(_ code: PublishFailure.Code, _ status: Int?, retry: Bool) -> Action {
        .reportFailure(PublishFailure(code: code, statusCode: status, willRetry: retry))
    }

    /// A machine with `open` published under ETag `a`, refresh armed with generation 2.
    func published() -> PublicationMachine {
        var m = machine()
        _ = m.update(body: open, contentType: pidf, expires: nil, now: t)
        _ = m.replyReceived(ok("a"), now: t)
        return m
    }

    // MARK: First PUBLISH and refresh scheduling

    @Test func firstPublishIsUnconditionalWithDefaultExpires() {
        var m = machine()
        #expect(m.state == .idle)
        #expect(m.update(body: open, contentType: pidf, expires: nil, now: t) == [initial(open)])
        #expect(m.state == .publishing)
        #expect(m.replyReceived(ok("a"), now: t) == [.reportPublished, refreshTimer(after: t, generation: 2)])
        #expect(m.state == .published)
        #expect(m.etag == "a")
        #expect(m.grantedExpires == 3600)
    }

    @Test func requestedExpiresIsHonouredButNeverBelowMinExpires() {
        var m = machine(.init(minExpires: 300))
        #expect(m.update(body: open, contentType: pidf, expires: 60, now: t) == [initial(open, expires: 300)])
        var n = machine(.init(minExpires: 300))
        #expect(n.update(body: open, contentType: pidf, expires: 900, now: t) == [initial(open, expires: 900)])
        var d = machine(.init(defaultExpires: 120, minExpires: 300))
        #expect(d.update(body: open, contentType: pidf, expires: nil, now: t) == [initial(open, expires: 300)])
    }

    @Test func refreshFollowsTheGrantedExpiryWithMarginJitterAndFloor() {
        var m = machine()
        _ = m.update(body: open, contentType: pidf, expires: nil, now: t)
        // Server grants less than asked: 720 … 1800 − 180.
        #expect(m.replyReceived(ok("a", expires: 1800), now: t) == [.reportPublished, refreshTimer(after: t, generation: 2, granted: 1800, latest: 1_620_000)])
        #expect(m.grantedExpires == 1800)

        var short = machine()
        _ = short.update(body: open, contentType: pidf, expires: 60, now: t)
        // 24 … 60 − max(10, 6).
        #expect(short.replyReceived(ok("a", expires: 60), now: t) == [.reportPublished, refreshTimer(after: t, generation: 2, granted: 60, latest: 50_000)])

        var tiny = machine()
        _ = tiny.update(body: open, contentType: pidf, expires: 10, now: t)
        // 10 − 10 is before half of it: refresh at half the expiry.
        #expect(tiny.replyReceived(ok("a", expires: 10), now: t) == [.reportPublished, refreshTimer(after: t, generation: 2, granted: 10, latest: 5_000)])

        var noExpires = machine()
        _ = noExpires.update(body: open, contentType: pidf, expires: 60, now: t)
        // A 2xx without Expires grants what was asked.
        #expect(noExpires.replyReceived(PublishReply(statusCode: 200, etag: "a"), now: t) == [.reportPublished, refreshTimer(after: t, generation: 2, granted: 60, latest: 50_000)])
    }

    @Test func refreshIsConditionalWithoutBodyAndEveryETagReplacesTheLast() {
        var m = published()
        let later = t + .seconds(3_237)
        #expect(m.timerFired(generation: 2, now: later) == [refresh("a")])
        #expect(m.replyReceived(ok("b"), now: later) == [.reportPublished, refreshTimer(after: later, generation: 4)])
        #expect(m.etag == "b")
        #expect(m.update(body: busy, contentType: pidf, expires: nil, now: later) == [modify("b", busy)])
        #expect(m.replyReceived(ok("c"), now: later) == [.reportPublished, refreshTimer(after: later, generation: 6)])
        #expect(m.timerFired(generation: 6, now: later) == [refresh("c")])
    }

    // MARK: Body changes

    @Test func bodyChangeIsConditionalAndAnUnchangedBodyIsNotResent() {
        var m = published()
        #expect(m.update(body: open, contentType: pidf, expires: nil, now: t) == [])
        #expect(m.state == .published)
        #expect(m.update(body: busy, contentType: pidf, expires: nil, now: t) == [modify("a", busy)])
        #expect(m.replyReceived(ok("b"), now: t) == [.reportPublished, refreshTimer(after: t, generation: 4)])
        #expect(m.update(body: busy, contentType: pidf, expires: nil, now: t) == [])
        // Another content type with the same bytes is a change.
        #expect(m.update(body: busy, contentType: "application/xpidf+xml", expires: nil, now: t)
            == [.sendPublish(PublishRequest(ifMatch: "b", body: busy, contentType: "application/xpidf+xml", expires: 3600))])
    }

    // MARK: Removal

    @Test func removalIsConditionalWithExpiresZeroThenForgets() {
        var m = published()
        #expect(m.update(body: [], contentType: pidf, expires: 0, now: t) == [remove("a")])
        #expect(m.replyReceived(PublishReply(statusCode: 200, etag: "b", expires: 0), now: t) == [.forget])
        #expect(m.state == .removed)
        #expect(m.update(body: open, contentType: pidf, expires: nil, now: t) == [])
        #expect(m.timerFired(generation: 2, now: t) == [])
    }

    @Test func removalBeforeAnythingWasPublishedJustForgets() {
        var m = machine()
        #expect(m.update(body: [], contentType: pidf, expires: 0, now: t) == [.forget])
        #expect(m.state == .removed)

        // Initial failed for good, nothing on the server: forget.
        var rejected = machine()
        _ = rejected.update(body: open, contentType: pidf, expires: nil, now: t)
        _ = rejected.replyReceived(PublishReply(statusCode: 403), now: t)
        #expect(rejected.update(body: [], contentType: pidf, expires: 0, now: t) == [.forget])
    }

    @Test func removalDuringTheInitialPublishWaitsForItsReply() {
        var m = machine()
        _ = m.update(body: open, contentType: pidf, expires: nil, now: t)
        #expect(m.update(body: [], contentType: pidf, expires: 0, now: t) == [])
        #expect(m.replyReceived(ok("a"), now: t) == [.reportPublished, remove("a")])
        #expect(m.replyReceived(PublishReply(statusCode: 200), now: t) == [.forget])

        // The initial PUBLISH failed: nothing to remove.
        var lost = machine()
        _ = lost.update(body: open, contentType: pidf, expires: nil, now: t)
        _ = lost.update(body: [], contentType: pidf, expires: 0, now: t)
        #expect(lost.transactionFailed(now: t) == [.forget])
    }

    @Test func removalRetriesTransientFailuresAndForgetsOnFinalOnes() {
        var m = published()
        _ = m.update(body: [], contentType: pidf, expires: 0, now: t)
        #expect(m.transactionFailed(now: t) == [failure(.transactionFailed, nil, retry: true), .scheduleTimer(at: t + .milliseconds(1_750), generation: 4)])
        #expect(m.timerFired(generation: 4, now: t) == [remove("a")])
        #expect(m.replyReceived(PublishReply(statusCode: 403), now: t) == [failure(.rejected, 403, retry: false), .forget])

        var gone = published()
        _ = gone.update(body: [], contentType: pidf, expires: 0, now: t)
        // 412 to a removal: the server no longer has it.
        #expect(gone.replyReceived(PublishReply(statusCode: 412), now: t) == [.forget])
    }

    @Test func anUpdateDuringARemovalPublishesAfresh() {
        var m = published()
        _ = m.update(body: [], contentType: pidf, expires: 0, now: t)
        #expect(m.update(body: busy, contentType: pidf, expires: nil, now: t) == [])
        #expect(m.replyReceived(PublishReply(statusCode: 200), now: t) == [initial(busy)])
        #expect(m.etag == nil)
    }

    // MARK: 412

    @Test func preconditionFailedRepublishesTheFullBodyUnconditionally() {
        var m = published()
        _ = m.update(body: busy, contentType: pidf, expires: nil, now: t)
        #expect(m.replyReceived(PublishReply(statusCode: 412), now: t) == [initial(busy)])
        #expect(m.etag == nil)
        #expect(m.replyReceived(ok("z"), now: t) == [.reportPublished, refreshTimer(after: t, generation: 5)])
    }

    @Test func preconditionFailedOnABodylessRefreshSendsTheCurrentBody() {
        var m = published()
        #expect(m.timerFired(generation: 2, now: t) == [refresh("a")])
        #expect(m.replyReceived(PublishReply(statusCode: 412), now: t) == [initial(open)])
    }

    @Test func preconditionFailedOnAnInitialPublishIsAFailureNotALoop() {
        var m = published()
        _ = m.timerFired(generation: 2, now: t)
        _ = m.replyReceived(PublishReply(statusCode: 412), now: t)
        #expect(m.replyReceived(PublishReply(statusCode: 412), now: t) == [failure(.conditionalRequestFailed, 412, retry: false)])
        #expect(m.state == .failed)
        #expect(m.requestInFlight == nil)
        // The next update tries again.
        #expect(m.update(body: busy, contentType: pidf, expires: nil, now: t) == [initial(busy)])
    }

    // MARK: 423

    @Test func intervalTooBriefRetriesWithMinExpiresAndKeepsIt() {
        var m = machine()
        _ = m.update(body: open, contentType: pidf, expires: 60, now: t)
        #expect(m.replyReceived(PublishReply(statusCode: 423, minExpires: 600), now: t) == [initial(open, expires: 600)])
        #expect(m.desiredExpires == 600)
        #expect(m.replyReceived(ok("a", expires: 600), now: t) == [.reportPublished, refreshTimer(after: t, generation: 3, granted: 600, latest: 540_000)])
        #expect(m.timerFired(generation: 3, now: t) == [refresh("a", expires: 600)])
        // Later updates asking for less still get the server's minimum.
        _ = m.replyReceived(ok("b", expires: 600), now: t)
        #expect(m.update(body: busy, contentType: pidf, expires: 60, now: t) == [modify("b", busy, expires: 600)])
    }

    @Test func intervalTooBriefWithoutAUsableMinExpiresIsAFailure() {
        var m = machine()
        _ = m.update(body: open, contentType: pidf, expires: 600, now: t)
        #expect(m.replyReceived(PublishReply(statusCode: 423), now: t) == [failure(.intervalTooBrief, 423, retry: false)])
        _ = m.update(body: busy, contentType: pidf, expires: 600, now: t)
        #expect(m.replyReceived(PublishReply(statusCode: 423, minExpires: 300), now: t) == [failure(.intervalTooBrief, 423, retry: false)])
    }

    // MARK: Transient failures

    @Test func timeoutsBackOffExponentiallyWithJitterUpToTheCapAndKeepEverything() {
        var m = machine(.init(backoffCap: .seconds(5)))
        _ = m.update(body: open, contentType: pidf, expires: nil, now: t)
        // 2 s − half of 25 %.
        #expect(m.transactionFailed(now: t) == [failure(.transactionFailed, nil, retry: true), .scheduleTimer(at: t + .milliseconds(1_750), generation: 2)])
        #expect(m.state == .failed)
        #expect(m.timerFired(generation: 2, now: t) == [initial(open)])
        #expect(m.state == .publishing)
        #expect(m.replyReceived(PublishReply(statusCode: 408), now: t) == [failure(.requestTimeout, 408, retry: true), .scheduleTimer(at: t + .milliseconds(3_500), generation: 4)])
        _ = m.timerFired(generation: 4, now: t)
        // 8 s capped at 5 s.
        #expect(m.transactionFailed(now: t) == [failure(.transactionFailed, nil, retry: true), .scheduleTimer(at: t + .milliseconds(4_375), generation: 6)])
        #expect(m.lastFailure == PublishFailure(code: .transactionFailed, statusCode: nil, willRetry: true))
        _ = m.timerFired(generation: 6, now: t)
        #expect(m.replyReceived(ok("a"), now: t) == [.reportPublished, refreshTimer(after: t, generation: 8)])
        #expect(m.lastFailure == nil)
        #expect(m.state == .published)
        // The backoff starts over.
        _ = m.timerFired(generation: 8, now: t)
        #expect(m.transactionFailed(now: t) == [failure(.transactionFailed, nil, retry: true), .scheduleTimer(at: t + .milliseconds(1_750), generation: 10)])
        // A failed refresh is retried as a refresh.
        #expect(m.timerFired(generation: 10, now: t) == [refresh("a")])
    }

    @Test func retryAfterIsHonoured() {
        var m = machine()
        _ = m.update(body: open, contentType: pidf, expires: nil, now: t)
        #expect(m.replyReceived(PublishReply(statusCode: 503, retryAfter: 120), now: t)
            == [failure(.serverError, 503, retry: true), .scheduleTimer(at: t + .seconds(120), generation: 2)])
        // Retry-After shorter than the backoff does not shorten it.
        _ = m.timerFired(generation: 2, now: t)
        #expect(m.replyReceived(PublishReply(statusCode: 503, retryAfter: 1), now: t)
            == [failure(.serverError, 503, retry: true), .scheduleTimer(at: t + .milliseconds(3_500), generation: 4)])
    }

    @Test func aServerErrorToAConditionalPublishIsRetriedOnceAsInitial() {
        var m = published()
        _ = m.update(body: busy, contentType: pidf, expires: nil, now: t)
        #expect(m.replyReceived(PublishReply(statusCode: 500), now: t) == [initial(busy)])
        #expect(m.etag == nil)
        #expect(m.replyReceived(PublishReply(statusCode: 500), now: t) == [failure(.serverError, 500, retry: true), .scheduleTimer(at: t + .milliseconds(1_750), generation: 5)])
        #expect(m.timerFired(generation: 5, now: t) == [initial(busy)])
    }

    @Test func a503WithRetryAfterToAConditionalPublishBacksOffKeepingTheETag() {
        var m = published()
        _ = m.timerFired(generation: 2, now: t)
        #expect(m.replyReceived(PublishReply(statusCode: 503, retryAfter: 30), now: t) == [failure(.serverError, 503, retry: true), .scheduleTimer(at: t + .seconds(30), generation: 4)])
        #expect(m.timerFired(generation: 4, now: t) == [refresh("a")])
    }

    @Test func updatesDuringABackoffWaitForTheRetryAndTheLatestWins() {
        var m = machine()
        _ = m.update(body: open, contentType: pidf, expires: nil, now: t)
        _ = m.transactionFailed(now: t)
        #expect(m.update(body: busy, contentType: pidf, expires: nil, now: t) == [])
        #expect(m.update(body: away, contentType: pidf, expires: nil, now: t) == [])
        #expect(m.timerFired(generation: 2, now: t) == [initial(away)])
    }

    // MARK: Final failures

    @Test func badEventAndOther4xxAreNotRetriedUntilTheNextUpdate() {
        var m = published()
        _ = m.update(body: busy, contentType: pidf, expires: nil, now: t)
        #expect(m.replyReceived(PublishReply(statusCode: 489), now: t) == [failure(.badEvent, 489, retry: false)])
        #expect(m.state == .failed)
        #expect(m.timerFired(generation: 2, now: t) == [])
        #expect(m.timerFired(generation: 3, now: t) == [])
        // The same body again is a new update: it is tried again.
        #expect(m.update(body: busy, contentType: pidf, expires: nil, now: t) == [modify("a", busy)])
        #expect(m.replyReceived(PublishReply(statusCode: 407), now: t) == [failure(.rejected, 407, retry: false)])
        #expect(m.update(body: away, contentType: pidf, expires: nil, now: t) == [modify("a", away)])
        #expect(m.replyReceived(PublishReply(statusCode: 603), now: t) == [failure(.rejected, 603, retry: false)])
        #expect(m.lastFailure == PublishFailure(code: .rejected, statusCode: 603, willRetry: false))
    }

    @Test func anUpdateAfterAFinalFailureOfARefreshRefreshes() {
        var m = published()
        _ = m.timerFired(generation: 2, now: t)
        #expect(m.replyReceived(PublishReply(statusCode: 403), now: t) == [failure(.rejected, 403, retry: false)])
        #expect(m.update(body: open, contentType: pidf, expires: nil, now: t) == [refresh("a")])
        #expect(m.replyReceived(ok("b"), now: t) == [.reportPublished, refreshTimer(after: t, generation: 5)])
    }

    @Test func aServerErrorWhileARemovalIsPendingBacksOffAndRemoves() {
        var m = published()
        _ = m.update(body: busy, contentType: pidf, expires: nil, now: t)
        _ = m.update(body: [], contentType: pidf, expires: 0, now: t)
        #expect(m.replyReceived(PublishReply(statusCode: 500), now: t) == [failure(.serverError, 500, retry: true), .scheduleTimer(at: t + .milliseconds(1_750), generation: 4)])
        #expect(m.timerFired(generation: 4, now: t) == [remove("a")])
        #expect(m.replyReceived(PublishReply(statusCode: 200), now: t) == [.forget])
    }

    // MARK: One transaction at a time

    @Test func updatesInFlightCoalesceAndGoOutWithTheNewETag() {
        var m = machine()
        _ = m.update(body: open, contentType: pidf, expires: nil, now: t)
        #expect(m.update(body: busy, contentType: pidf, expires: nil, now: t) == [])
        #expect(m.update(body: away, contentType: pidf, expires: nil, now: t) == [])
        #expect(m.replyReceived(PublishReply(statusCode: 100), now: t) == [])
        #expect(m.replyReceived(ok("a"), now: t) == [.reportPublished, modify("a", away)])
        #expect(m.replyReceived(ok("b"), now: t) == [.reportPublished, refreshTimer(after: t, generation: 3)])
    }

    @Test func anUpdateBackToTheBodyInFlightSendsNothingMore() {
        var m = machine()
        _ = m.update(body: open, contentType: pidf, expires: nil, now: t)
        _ = m.update(body: busy, contentType: pidf, expires: nil, now: t)
        _ = m.update(body: open, contentType: pidf, expires: nil, now: t)
        #expect(m.replyReceived(ok("a"), now: t) == [.reportPublished, refreshTimer(after: t, generation: 2)])
    }

    @Test func staleTimersAndStrayRepliesAreIgnored() {
        var m = published()
        _ = m.update(body: busy, contentType: pidf, expires: nil, now: t)
        #expect(m.timerFired(generation: 2, now: t) == [])  // The refresh armed before the modification.
        #expect(m.timerFired(generation: 3, now: t) == [])  // In flight: no timer is armed.
        _ = m.replyReceived(ok("b"), now: t)
        #expect(m.replyReceived(ok("c"), now: t) == [])  // Nothing in flight.
        #expect(m.transactionFailed(now: t) == [])
        #expect(m.etag == "b")
        #expect(m.timerFired(generation: 3, now: t) == [])
        #expect(m.timerFired(generation: 4, now: t) == [refresh("b")])

        var fresh = machine()
        #expect(fresh.timerFired(generation: 0, now: t) == [])
        #expect(fresh.replyReceived(ok("a"), now: t) == [])
    }

    // MARK: Resume after a restart

    @Test func aStoredPublicationTheServerStillHoldsKeepsItsETagAndRefreshes() {
        var m = machine()
        // 1800 s left of 3600: refresh by 1800 − 360, not earlier than 1800 s before that.
        #expect(m.resume(etag: "a", granted: 3600, remaining: 1800, body: open, contentType: pidf, expires: 3600, now: t)
            == [.scheduleRefresh(earliest: t, latest: t + .milliseconds(1_440_000), generation: 1)])
        #expect(m.state == .published)
        #expect(m.etag == "a")
        #expect(m.timerFired(generation: 1, now: t) == [refresh("a")])
        // The same body given again is not sent again.
        _ = m.replyReceived(ok("b"), now: t)
        #expect(m.update(body: open, contentType: pidf, expires: 3600, now: t) == [])
    }

    @Test func anExpiredOrNeverPublishedStoredPublicationIsPublishedOnceInFull() {
        var expired = machine()
        #expect(expired.resume(etag: "a", granted: 3600, remaining: 100, body: open, contentType: pidf, expires: 3600, now: t) == [initial(open)])
        #expect(expired.etag == nil)
        var never = machine()
        #expect(never.resume(etag: nil, granted: nil, remaining: 0, body: busy, contentType: pidf, expires: nil, now: t) == [initial(busy)])
    }
}
