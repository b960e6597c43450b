import SIPCore
import Testing
@testable import PUACore

/// The subscription's dialog: requests built from it, and the 2xx and NOTIFYs that set it up and move it.
@Suite struct SubscriptionDialogTests {
    let resource = SIPURI(user: "201", host: "pbx.example.com")
    let watcher = SIPURI(user: "gateway", host: "127.0.0.1")
    let contact = SIPURI(host: "127.0.0.1", port: 5070)

    func dialog() -> SubscriptionDialog {
        SubscriptionDialog(resource: resource, watcher: watcher, contact: contact, callID: "s1@lamplighter", localTag: "ours")
    }

    func okay(recordRoutes: [String], contact: String) -> SIPResponse {
        var headers = SIPHeaders()
        headers.add("To", "<\(resource)>;tag=theirs")
        for route in recordRoutes { headers.add("Record-Route", route) }
        headers.add("Contact", contact)
        headers.add("Expires", "600")
        return SIPResponse(statusCode: 200, reason: "OK", headers: headers)
    }

    func notify(from tag: String = "theirs", to localTag: String = "ours", callID: String = "s1@lamplighter", contact: String? = nil, recordRoutes: [String] = []) -> SIPRequest {
        var headers = SIPHeaders()
        headers.add("From", "<\(resource)>;tag=\(tag)")
        headers.add("To", "<\(watcher)>;tag=\(localTag)")
        headers.add("Call-ID", callID)
        for route in recordRoutes { headers.add("Record-Route", route) }
        if let contact { headers.add("Contact", contact) }
        return SIPRequest(method: .notify, uri: contact.flatMap { try? SIPURI(parsing: String($0.dropFirst().dropLast())) } ?? self.contact, headers: headers)
    }

    @Test func aNewSubscribeThenTheDialogFromThe2xx() throws {
        var d = dialog()
        let first = d.subscribe(SubscribeRequest(expires: 600, inDialog: false), event: "presence", accept: ["application/pidf+xml"], userAgent: "LL")
        #expect(first.method == .subscribe && first.uri == resource)
        #expect(first.headers.first("To") == "<\(resource)>")
        #expect(first.headers.first("From") == "<\(watcher)>;tag=ours")
        #expect(first.headers.first("CSeq") == "1 SUBSCRIBE")
        #expect(first.headers.first("Event") == "presence" && first.headers.first("Accept") == "application/pidf+xml")
        #expect(first.headers.first("Expires") == "600" && first.headers.first("Contact") == "<\(contact)>")
        #expect(first.headers.routes.isEmpty)
        #expect(d.id == nil)

        d.responseReceived(okay(recordRoutes: ["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"], contact: "<sip:ps@192.0.2.5:5060>"))
        #expect(d.id == SIPDialogID(callID: "s1@lamplighter", localTag: "ours", remoteTag: "theirs"))
        let refresh = d.subscribe(SubscribeRequest(expires: 600, inDialog: true), event: "presence", accept: [], userAgent: "LL")
        #expect(refresh.uri == (try SIPURI(parsing: "sip:ps@192.0.2.5:5060")), "the remote target")
        #expect(refresh.headers.first("To") == "<\(resource)>;tag=theirs")
        #expect(refresh.headers.first("CSeq") == "2 SUBSCRIBE")
        #expect(refresh.headers.routes.map(\.uri.host) == ["p2.example.com", "p1.example.com"], "Record-Route reversed")
    }

    @Test func aStrictFirstRouteBecomesTheRequestURI() throws {
        var d = dialog()
        _ = d.subscribe(SubscribeRequest(expires: 600, inDialog: false), event: "presence", accept: [], userAgent: "LL")
        d.responseReceived(okay(recordRoutes: ["<sip:strict.example.com>"], contact: "<sip:ps@192.0.2.5>"))
        let refresh = d.subscribe(SubscribeRequest(expires: 600, inDialog: true), event: "presence", accept: [], userAgent: "LL")
        #expect(refresh.uri.host == "strict.example.com")
        #expect(refresh.headers.routes.map(\.uri.host) == ["192.0.2.5"], "the remote target goes last")
    }

    @Test func aNotifyBeforeThe2xxEstablishesTheDialogAndThe2xxChangesNothing() throws {
        var d = dialog()
        _ = d.subscribe(SubscribeRequest(expires: 600, inDialog: false), event: "presence", accept: [], userAgent: "LL")
        let early = notify(contact: "<sip:ps@192.0.2.9:5060>", recordRoutes: ["<sip:p1.example.com;lr>"])
        #expect(d.matches(early))
        d.notifyReceived(early, updateContact: true)
        #expect(d.remoteTarget == (try SIPURI(parsing: "sip:ps@192.0.2.9:5060")))
        #expect(d.routeSet.map(\.uri.host) == ["p1.example.com"], "a NOTIFY's Record-Route, in order")
        d.responseReceived(okay(recordRoutes: [], contact: "<sip:other@192.0.2.1>"))
        #expect(d.remoteTarget == (try SIPURI(parsing: "sip:ps@192.0.2.9:5060")))
    }

    @Test func notifiesOfOtherDialogsDoNotMatch() {
        var d = dialog()
        d.responseReceived(okay(recordRoutes: [], contact: "<sip:ps@192.0.2.5>"))
        #expect(d.matches(notify()))
        #expect(!d.matches(notify(from: "someone-else")))
        #expect(!d.matches(notify(to: "not-ours")))
        #expect(!d.matches(notify(callID: "other@x")))
    }

    @Test(arguments: [true, false])
    func aNotifyWithANewContactMovesTheTargetWhenAsked(update: Bool) throws {
        var d = dialog()
        d.responseReceived(okay(recordRoutes: [], contact: "<sip:ps@192.0.2.5>"))
        d.notifyReceived(notify(contact: "<sip:ps@192.0.2.77:5080>"), updateContact: update)
        let refresh = d.subscribe(SubscribeRequest(expires: 600, inDialog: true), event: "presence", accept: [], userAgent: "LL")
        #expect(refresh.uri.host == (update ? "192.0.2.77" : "192.0.2.5"))
    }

    @Test func aResetStartsANewDialog() {
        var d = dialog()
        d.responseReceived(okay(recordRoutes: ["<sip:p1.example.com;lr>"], contact: "<sip:ps@192.0.2.5>"))
        d.reset(callID: "s2@lamplighter", localTag: "ours2")
        #expect(d.id == nil && d.routeSet.isEmpty && d.remoteTarget == nil)
        let fresh = d.subscribe(SubscribeRequest(expires: 600, inDialog: true), event: "presence", accept: [], userAgent: "LL")
        #expect(fresh.uri == resource && fresh.headers.first("To") == "<\(resource)>" && fresh.headers.callID == "s2@lamplighter")
    }

    @Test func aRestoredDialogContinuesWithAHigherCSeqAndTheNewContact() throws {
        var d = dialog()
        _ = d.subscribe(SubscribeRequest(expires: 600, inDialog: false), event: "presence", accept: [], userAgent: "LL")
        d.responseReceived(okay(recordRoutes: ["<sip:p1.example.com;lr>"], contact: "<sip:ps@192.0.2.5:5060>"))
        let parameters = SubscribeParameters(id: "w", resource: resource, watcher: watcher, event: "presence", source: .admin)
        let stored = SubscriptionSnapshot(
            parameters: parameters, state: .active, grantedExpires: 600, callID: d.callID, localTag: d.localTag, remoteTag: d.remoteTag,
            localSequence: d.localSequence, routeSet: d.routeSet, remoteTarget: d.remoteTarget, contact: contact)
        let moved = SIPURI(host: "127.0.0.1", port: 5080)
        var restored = SubscriptionDialog(restoring: stored, contact: moved)
        #expect(restored.id == d.id)
        let refresh = restored.subscribe(SubscribeRequest(expires: 600, inDialog: true), event: "presence", accept: [], userAgent: "LL")
        #expect(refresh.headers.first("CSeq") == "102 SUBSCRIBE", "requests sent after the last write are outnumbered")
        #expect(refresh.uri == (try SIPURI(parsing: "sip:ps@192.0.2.5:5060")))
        #expect(refresh.headers.routes.map(\.uri.host) == ["p1.example.com"])
        #expect(refresh.headers.first("To") == "<\(resource)>;tag=theirs")
        #expect(refresh.headers.first("Contact") == "<\(moved)>", "the node's Contact now")
    }
}
