import Testing
@testable import PUACore

/// The digest the engine keeps instead of a source body.
@Suite struct BodyDigestTests {
    let pidf = Array(#"<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:201@pbx"><tuple id="a"><status><basic>open</basic></status></tuple></presence>"#.utf8)

    @Test func itIsStableAndTellsBodiesApart() {
        #expect(BodyDigest(of: pidf) == BodyDigest(of: pidf))
        #expect(BodyDigest(of: []) == BodyDigest(hash: 0xcbf2_9ce4_8422_2325, count: 0), "FNV-1a offset basis: the same in every run")
        var closed = pidf
        closed.replaceSubrange(closed.count - 30..<closed.count - 26, with: Array("clos".utf8))
        #expect(BodyDigest(of: closed) != BodyDigest(of: pidf))
        #expect(BodyDigest(of: pidf + [0x20]).count == UInt32(pidf.count + 1))
    }

    @Test func theStoredFormRoundTripsAndAnOldStoredBodyIsDigested() {
        let digest = BodyDigest(of: pidf)
        #expect(digest.bytes.count == 13 && digest.bytes.first == 0xFF)
        #expect(BodyDigest(stored: digest.bytes) == digest)
        #expect(BodyDigest(stored: pidf) == digest, "a row written before digests kept the body itself")
        let thirteen = Array("<presence/>\n\n".utf8)
        #expect(BodyDigest(stored: thirteen) == BodyDigest(of: thirteen), "a body of 13 bytes is no digest: it does not start with 0xFF")
    }
}

extension BodyDigestTests {
    @Test func tupleIDsAreTheKeysDigestSoEveryNodeStampsTheSame() {
        let key = PublicationKey(presentity: "sip:201@pbx.example.com", event: "presence")
        let id = PublicationEngine.tupleID(of: key)
        #expect(id == PublicationEngine.tupleID(of: key) && id.count == 15 && id.hasPrefix("t"))
        let digest = BodyDigest(of: Array("sip:201@pbx.example.com\u{0}presence\u{0}".utf8)).hash >> 8
        #expect(UInt64(id.dropFirst(), radix: 16) == digest)
        #expect(id != PublicationEngine.tupleID(of: PublicationKey(presentity: "sip:202@pbx.example.com", event: "presence")))
    }
}
