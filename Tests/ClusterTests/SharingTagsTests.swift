import Testing
@testable import Cluster

@Suite struct SharingTagsTests {
    @Test func untaggedRecordsAreAlwaysPublished() {
        #expect(SharingTags().shouldPublish(recordTag: nil))
        #expect(!SharingTags().shouldPublish(recordTag: "vip"))
    }

    @Test func activationTakesOverAndAnnounces() {
        var tags = SharingTags()
        #expect(tags.activationRequested(tag: "vip") == [.announceActive(tag: "vip"), .takeOverRecords(tag: "vip")])
        #expect(tags.state(of: "vip") == .active)
        #expect(tags.shouldPublish(recordTag: "vip"))
        #expect(tags.activationRequested(tag: "vip") == [], "activating twice does nothing")
        #expect(tags.activeTags == ["vip"])
    }

    @Test func aPeerTakingTheTagMakesThisNodeBackup() {
        var tags = SharingTags(initiallyActive: ["vip", "other"])
        #expect(tags.peerAnnouncedActive(tag: "vip") == [.releaseRecords(tag: "vip")])
        #expect(tags.state(of: "vip") == .backup)
        #expect(!tags.shouldPublish(recordTag: "vip"))
        #expect(tags.peerAnnouncedActive(tag: "vip") == [], "already backup")
        #expect(tags.activeTags == ["other"])
    }
}
