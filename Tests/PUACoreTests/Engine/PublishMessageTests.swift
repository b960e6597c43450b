import SIPCore
import Testing
@testable import PUACore

@Suite struct PublishMessageTests {
    let uri = SIPURI(user: "alice", host: "example.com")

    func record() -> PublicationRecord {
        var record = PublicationRecord(
            key: PublicationKey(presentity: uri.description, event: "presence"), presentity: uri, machine: PublicationMachine(),
            contentType: "application/pidf+xml", tupleID: "t1", callID: "call-1@lamplighter", fromTag: "ft", source: .admin)
        record.cseq = 7
        record.extraHeaders = [SIPHeaders.Field(name: "X-Site", value: "north")]
        return record
    }

    @Test func anInitialPublishCarriesTheBodyAndNoIfMatch() {
        let request = PublishMessage.request(
            PublishRequest(ifMatch: nil, body: Array("<presence/>".utf8), contentType: "application/pidf+xml", expires: 600),
            record: record(), event: "presence", userAgent: "Lamplighter")
        #expect(request.method == .publish)
        #expect(request.uri == uri)
        #expect(request.headers.first("From") == "<sip:alice@example.com>;tag=ft")
        #expect(request.headers.first("To") == "<sip:alice@example.com>")
        #expect(request.headers.first("Call-ID") == "call-1@lamplighter")
        #expect(request.headers.first("CSeq") == "7 PUBLISH")
        #expect(request.headers.first("Event") == "presence")
        #expect(request.headers.first("Expires") == "600")
        #expect(!request.headers.contains("SIP-If-Match"))
        #expect(request.headers.first("Content-Type") == "application/pidf+xml")
        #expect(request.headers.first("X-Site") == "north")
        #expect(request.body == Array("<presence/>".utf8))
    }

    @Test func aRefreshIsConditionalWithoutBodyOrContentType() {
        let request = PublishMessage.request(
            PublishRequest(ifMatch: "e1", body: nil, contentType: nil, expires: 600), record: record(), event: "presence", userAgent: "L")
        #expect(request.headers.first("SIP-If-Match") == "e1")
        #expect(!request.headers.contains("Content-Type"))
        #expect(request.body.isEmpty)
    }

    @Test func repliesAreReducedToWhatTheMachineNeeds() {
        var headers = SIPHeaders()
        headers.add("SIP-ETag", "abc")
        headers.add("Expires", "300")
        headers.add("Min-Expires", "60")
        headers.add("Retry-After", "120 (maintenance);duration=60")
        #expect(PublishMessage.reply(SIPResponse(statusCode: 200, reason: "OK", headers: headers))
            == PublishReply(statusCode: 200, etag: "abc", expires: 300, minExpires: 60, retryAfter: 120))
        var nonsense = SIPHeaders()
        nonsense.add("SIP-ETag", "")
        nonsense.add("Expires", "soon")
        nonsense.add("Retry-After", "99999999999999999999")
        #expect(PublishMessage.reply(SIPResponse(statusCode: 503, reason: "Busy", headers: nonsense))
            == PublishReply(statusCode: 503))
    }

    @Test func extraHeadersThatWouldBreakTheMessageAreNamed() {
        #expect(PublishMessage.problem(with: SIPHeaders.Field(name: "X-Ok", value: "fine")) == nil)
        #expect(PublishMessage.problem(with: SIPHeaders.Field(name: "X-Bad", value: "a\r\nVia: evil"))
            == "X-Bad value contains CR, LF or NUL")
        #expect(PublishMessage.problem(with: SIPHeaders.Field(name: "Bad Name", value: "v")) == "header name \"Bad Name\" is not a token")
        #expect(PublishMessage.problem(with: SIPHeaders.Field(name: "i", value: "x")) == "Call-ID is written by the engine")
        #expect(PublishMessage.problem(with: SIPHeaders.Field(name: "SIP-If-Match", value: "x")) == "SIP-If-Match is written by the engine")
        #expect(PublishMessage.problem(with: SIPHeaders.Field(name: "X-Long", value: String(repeating: "v", count: 2000)))
            == "X-Long value of 2000 bytes (limit 1024)")
    }
}
