import Foundation
import LamplighterTestSupport
import Logging
import NIOCore
import PUAStore
import SIPCore
import Testing
@testable import SIPStack

/// What deploy/kamailio/presence.cfg makes the test Kamailio do, checked with real messages against the Kamailio
/// started by deploy/test: its PUBLISH interval floor (423 with Min-Expires) and that a watcher is notified of a
/// publication (a real sipp watcher, ``Sipp/watch(_:event:accept:notifies:expires:server:timeout:arguments:)``).
@Suite struct KamailioPresenceConfigTests {
    let logger = Logger(label: "test.kamailio-config")

    /// The cfg's LL_PUBLISH_MIN_EXPIRES.
    static let publishMinExpires = 60

    var kamailio: SocketAddress {
        get throws { try OptionsPing.destination(of: try SIPURI(parsing: TestServices.kamailioURI)) }
    }

    /// An initial PUBLISH of `basic` presence for `user`@127.0.0.1.
    func publish(user: String, expires: Int, basic: String = "open") throws -> SIPRequest {
        let aor = "sip:\(user)@127.0.0.1"
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"\(aor)\">"
            + "<tuple id=\"t1\"><status><basic>\(basic)</basic></status></tuple></presence>\n"
        var headers = SIPHeaders()
        headers.add("From", "<\(aor)>;tag=\(SIPEndpoint.newToken(prefix: ""))")
        headers.add("To", "<\(aor)>")
        headers.add("Call-ID", SIPEndpoint.newToken(prefix: "pub-"))
        headers.add("CSeq", "1 PUBLISH")
        headers.add("Event", "presence")
        headers.add("Expires", String(expires))
        headers.add("Content-Type", "application/pidf+xml")
        return SIPRequest(method: .publish, uri: try SIPURI(parsing: aor), headers: headers, body: Array(body.utf8))
    }

    @Test func aPublishBelowSixtySecondsGets423WithMinExpires() async throws {
        let endpoint = try await SIPEndpoint.bind(host: "127.0.0.1", port: 0, logger: logger)
        let user = UniqueNames.make("minexp")

        let brief = try await endpoint.send(try publish(user: user, expires: 30), to: try kamailio)
        #expect(brief.statusCode == 423)
        #expect(brief.headers.minExpires == Self.publishMinExpires, "\(brief.headers)")
        #expect(brief.headers.sipETag == nil)

        // The floor itself is accepted, and a removal (Expires 0) still passes.
        let accepted = try await endpoint.send(try publish(user: user, expires: Self.publishMinExpires), to: try kamailio)
        #expect(accepted.statusCode == 200)
        let etag = try #require(accepted.headers.sipETag)
        var removal = try publish(user: user, expires: 0)
        removal.body = []
        removal.headers.remove("Content-Type")
        removal.headers.set("CSeq", "2 PUBLISH")
        removal.headers.add("SIP-If-Match", etag)
        #expect(try await endpoint.send(removal, to: try kamailio).statusCode == 200)
        await endpoint.close()
    }

    /// The presentity rows of `user` (event presence): sender and body.
    func rows(of user: String) async throws -> [(sender: String, body: String)] {
        let database = try await TestServices.postgres(url: TestServices.kamailioDatabaseURL)
        defer { Task { await database.close() } }
        let result = try await database.query(
            "SELECT sender, convert_from(body, 'UTF8') AS body FROM presentity WHERE username = $1 AND event = 'presence' ORDER BY id", [user])
        return result.rows.map { ($0[0] ?? "", $0[1] ?? "") }
    }

    @Test func aPublishWithoutIfMatchReplacesTheRowsOfItsOwnCallID() async throws {
        let endpoint = try await SIPEndpoint.bind(host: "127.0.0.1", port: 0, logger: logger)
        defer { Task { await endpoint.close() } }
        let user = UniqueNames.make("replace")
        let callID = "p\(SIPEndpoint.newToken(prefix: ""))@lamplighter"
        var initial = try publish(user: user, expires: 600)
        initial.headers.set("Call-ID", callID)
        let first = try await endpoint.send(initial, to: try kamailio)
        #expect(first.statusCode == 200)
        // A modification the server applies; suppose the publisher crashes before storing the new entity-tag.
        var modify = try publish(user: user, expires: 600, basic: "closed")
        modify.headers.set("Call-ID", callID)
        modify.headers.set("CSeq", "2 PUBLISH")
        modify.headers.add("SIP-If-Match", try #require(first.headers.sipETag))
        #expect(try await endpoint.send(modify, to: try kamailio).statusCode == 200)
        #expect(try await rows(of: user).map(\.sender) == ["sip:\(callID)"])

        // After its restart it publishes afresh with the same Call-ID: its stale row goes, the new one stays.
        var again = try publish(user: user, expires: 600, basic: "open")
        again.headers.set("Call-ID", callID)
        again.headers.set("CSeq", "3 PUBLISH")
        #expect(try await endpoint.send(again, to: try kamailio).statusCode == 200)
        var stored = try await rows(of: user)
        #expect(stored.count == 1)
        #expect(stored.first?.body.contains("<basic>open</basic>") == true)

        // Another publisher of the same presentity (another Call-ID) keeps its row; so does this one.
        var other = try publish(user: user, expires: 600, basic: "closed")
        other.headers.set("Call-ID", "q\(SIPEndpoint.newToken(prefix: ""))@phone.example")
        #expect(try await endpoint.send(other, to: try kamailio).statusCode == 200)
        stored = try await rows(of: user)
        #expect(stored.count == 2)
        #expect(Set(stored.map(\.sender)).contains("sip:\(callID)"))
    }

    @Test func aWatcherIsNotifiedOfThePublishedState() async throws {
        let user = UniqueNames.make("watched")
        // The NOTIFY right after the 2xx (no publication yet), then the one for our PUBLISH.
        let watcher = try await Sipp.watch(user, event: "presence", notifies: 2, timeout: .seconds(15))
        defer { watcher.stop() }
        #expect(await watcher.waitUntilReceived(2, timeout: .seconds(5)), "subscribed: \(watcher.messageLog)")

        let endpoint = try await SIPEndpoint.bind(host: "127.0.0.1", port: 0, logger: logger)
        let response = try await endpoint.send(try publish(user: user, expires: 3600), to: try kamailio)
        #expect(response.statusCode == 200)
        let etag = try #require(response.headers.sipETag)

        #expect(try await watcher.waitForExit(timeout: .seconds(10)) == 0, "\(watcher.errorLog)\n\(watcher.messageLog)")
        let subscribe = try #require(watcher.sent.first { $0.firstLine.hasPrefix("SUBSCRIBE") })
        #expect(subscribe.text.contains("Accept: application/pidf+xml"))
        let notifies = watcher.received.filter { $0.firstLine.hasPrefix("NOTIFY") }
        #expect(notifies.count == 3, "initial, after the PUBLISH, terminated: \(watcher.messageLog)")
        let published = try #require(notifies.dropFirst().first)
        #expect(published.text.contains("Content-Type: application/pidf+xml"))
        #expect(published.body.contains("<basic>open</basic>"), "\(published.text)")
        #expect(published.body.contains("entity=\"sip:\(user)@127.0.0.1\""))
        #expect(notifies.last?.text.contains("Subscription-State: terminated") == true)

        // Leave nothing behind.
        var removal = try publish(user: user, expires: 0)
        removal.body = []
        removal.headers.remove("Content-Type")
        removal.headers.set("CSeq", "2 PUBLISH")
        removal.headers.add("SIP-If-Match", etag)
        #expect(try await endpoint.send(removal, to: try kamailio).statusCode == 200)
        await endpoint.close()
    }
}
