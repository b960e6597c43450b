import Testing
@testable import PUACore

/// The machine's cluster events as scripts: another node's ETag taken, a takeover's refresh, an adopted
/// publication, and a removal that raced another node's refresh.
@Suite struct PublicationMachineClusterTests {
    let t = ContinuousClock.now
    let open: [UInt8] = Array("<basic>open</basic>".utf8)
    let closed: [UInt8] = Array("<basic>closed</basic>".utf8)
    let pidf = "application/pidf+xml"

    /// `open` published under ETag `a` (3600 s granted).
    func published() -> PublicationMachine {
        var m = PublicationMachine(configuration: .init(), random: HalfRandom())
        _ = m.update(body: open, contentType: pidf, expires: nil, now: t)
        _ = m.replyReceived(PublishReply(statusCode: 200, etag: "a", expires: 3600), now: t)
        return m
    }

    @Test func anotherNodesETagIsTakenAndItsUnknownBodyIsReplacedByTheNextUpdate() {
        var m = published()
        // Not the holder: no timer.
        #expect(m.remotePublished(etag: "b", granted: 3600, remaining: 3600, refresh: false, now: t) == [])
        #expect(m.etag == "b" && m.state == .published)
        // The next update goes out even with the body this node sent last (the server holds the other node's).
        #expect(m.update(body: open, contentType: pidf, expires: nil, now: t)
            == [.sendPublish(PublishRequest(ifMatch: "b", body: open, contentType: pidf, expires: 3600))])
    }

    @Test func theHoldersTimerOnlyRefreshesWhatAnotherNodePublished() {
        var m = published()
        let actions = m.remotePublished(etag: "b", granted: 3600, remaining: 3000, refresh: true, now: t)
        guard case .scheduleRefresh(let earliest, let latest, let generation)? = actions.first else { Issue.record("\(actions)"); return }
        #expect(latest == t + .seconds(3000 - 360) && earliest == t + .seconds(3000 - 360 - 1800))
        #expect(m.timerFired(generation: generation, now: latest)
            == [.sendPublish(PublishRequest(ifMatch: "b", body: nil, contentType: nil, expires: 3600))], "a refresh, not our stale body")
    }

    @Test func aTakeoverArmsTheRefreshOrRefreshesAtOnceInsideTheMargin() {
        var m = published()
        guard case .scheduleRefresh(_, let latest, _)? = m.tookOver(remaining: 1000, now: t).first else { Issue.record("no refresh"); return }
        #expect(latest == t + .seconds(1000 - 360))
        var late = published()
        #expect(late.tookOver(remaining: 100, now: t) == [.sendPublish(PublishRequest(ifMatch: "a", body: nil, contentType: nil, expires: 3600))])
        var idle = PublicationMachine()
        #expect(idle.tookOver(remaining: 1000, now: t) == [], "nothing published, nothing to refresh")
    }

    @Test func anAdoptedPublicationKeepsTheStoredBodyForARepublication() {
        var m = PublicationMachine(configuration: .init(), random: HalfRandom())
        #expect(m.adopt(etag: "s", granted: 3600, remaining: 2000, body: open, contentType: pidf, expires: nil, refresh: false, now: t) == [])
        // The server forgot it: a 412 republishes the stored body in full.
        _ = m.update(body: closed, contentType: pidf, expires: nil, now: t)
        #expect(m.replyReceived(PublishReply(statusCode: 412), now: t)
            == [.sendPublish(PublishRequest(ifMatch: nil, body: closed, contentType: pidf, expires: 3600))])
    }

    @Test func aRemovalThatRacedAnotherNodesRefreshGoesAgainWithItsETag() {
        var m = published()
        #expect(m.update(body: [], contentType: pidf, expires: 0, now: t) == [.sendPublish(PublishRequest(ifMatch: "a", body: nil, contentType: nil, expires: 0))])
        #expect(m.removalRefused(newerETag: "a") == [], "not the ETag just refused")
        #expect(m.removalRefused(newerETag: "c") == [.sendPublish(PublishRequest(ifMatch: "c", body: nil, contentType: nil, expires: 0))])
        #expect(m.replyReceived(PublishReply(statusCode: 200, etag: nil, expires: 0), now: t) == [.forget])
        var refreshing = published()
        _ = refreshing.tookOver(remaining: 100, now: t)
        #expect(refreshing.removalRefused(newerETag: "c") == [], "only a removal goes again")
    }
}

extension PublicationMachineClusterTests {
    @Test func afterAnotherNodesChangeARefreshIsFollowedByNothing() {
        var m = published()
        let armed = m.remotePublished(etag: "b", granted: 3600, remaining: 3000, refresh: true, now: t)
        guard case .scheduleRefresh(_, let latest, let generation)? = armed.first else { Issue.record("\(armed)"); return }
        #expect(m.timerFired(generation: generation, now: latest) == [.sendPublish(PublishRequest(ifMatch: "b", body: nil, contentType: nil, expires: 3600))])
        // The refresh's 2xx: a new ETag and the next refresh armed; never this node's stale body as a modification.
        let next = m.replyReceived(PublishReply(statusCode: 200, etag: "c", expires: 3600), now: latest)
        #expect(next.first == .reportPublished && next.count == 2, "\(next)")
        guard case .scheduleRefresh? = next.last else { Issue.record("\(next)"); return }
        // An update coalesced while a refresh is out still goes out after it, even with the old body.
        var coalesced = published()
        _ = coalesced.remotePublished(etag: "b", granted: 3600, remaining: 3000, refresh: true, now: t)
        _ = coalesced.tookOver(remaining: 100, now: t)  // a refresh goes out at once
        #expect(coalesced.update(body: open, contentType: pidf, expires: nil, now: t) == [])
        #expect(coalesced.replyReceived(PublishReply(statusCode: 200, etag: "c", expires: 3600), now: t)
            == [.reportPublished, .sendPublish(PublishRequest(ifMatch: "c", body: open, contentType: pidf, expires: 3600))])
    }
}
