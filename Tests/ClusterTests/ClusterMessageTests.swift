import PUACore
import Testing
@testable import Cluster

/// The cluster channel's messages: round trips, and every malformed shape refused with its reason.
@Suite struct ClusterMessageTests {
    let key = PublicationKey(presentity: "sip:201@pbx.example.com", event: "dialog", id: "x\"y")

    @Test func announcementsAndHeartbeatsRoundTrip() throws {
        let messages: [ClusterMessage] = [
            .announcement(PublicationAnnouncement(
                key: key, change: .published(etag: "a.1795770000.1", grantedExpires: 600, expiresAt: 1_795_770_600.5), version: 7,
                sharingTag: "site-a", node: "node-a", body: Array("<presence>\u{0}\"é</presence>".utf8), contentType: "application/pidf+xml",
                source: .registrations)),
            .announcement(PublicationAnnouncement(key: key, change: .removed, version: nil, sharingTag: nil, node: "node-b")),
            .heartbeat(node: "node-a", tags: ["site-a", "site-b"]),
        ]
        for message in messages {
            #expect(try ClusterMessage(decoding: message.encoded()) == message)
        }
    }

    @Test(arguments: [
        ("", "not a cluster message object"),
        ("[1,2]", "not a cluster message object"),
        (#"{"t":"hb"}"#, "not a cluster message object"),
        (#"{"t":"hb","node":""}"#, "empty node"),
        (#"{"t":"pub","node":"a","e":"presence"}"#, "pub without presentity or event"),
        (#"{"t":"pub","node":"a","p":"sip:1@x","e":"presence","granted":600,"expires":1}"#, "pub without etag, granted or expires"),
        (#"{"t":"pub","node":"a","p":"sip:1@x","e":"presence","etag":"e","granted":0,"expires":1}"#, "pub without etag, granted or expires"),
        (#"{"t":"promote","node":"a"}"#, "unknown type \"promote\""),
        (#"{"t":"pub","node":"a","p":"sip:1@x","e":"presence","etag":"e","granted":60,"expires":1,"b":"%%%"}"#, "body is not base64"),
    ])
    func malformedMessagesAreRefusedWithTheReason(text: String, reason: String) {
        #expect {
            _ = try ClusterMessage(decoding: Array(text.utf8))
        } throws: { error in
            (error as? ClusterMessage.Invalid)?.reason.hasPrefix(reason) == true
        }
    }

    @Test func anOversizedMessageIsRefused() {
        let huge = Array(#"{"t":"hb","node":"a","tags":["#.utf8) + Array(repeating: UInt8(ascii: "x"), count: ClusterMessage.maximumSize) + Array(#""]}"#.utf8)
        #expect(throws: ClusterMessage.Invalid.self) { try ClusterMessage(decoding: huge) }
    }
}
