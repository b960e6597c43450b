import Testing
@testable import PUACore

@Suite struct BucketIndexTests {
    @Test func isStableAcrossProcesses() {
        // FNV-1a is fixed; these values must never change, or nodes would disagree on buckets.
        let index = BucketIndex(hashSize: 9)
        let key = PublicationKey(presentity: "sip:201@pbx.example.com", event: "presence")
        #expect(index.bucketCount == 512)
        #expect(index.bucket(of: key) == index.bucket(of: PublicationKey(presentity: "sip:201@pbx.example.com", event: "presence", id: "x")))
        #expect(index.bucket(of: key) == BucketIndex(hashSize: 9).bucket(of: key))
        #expect(BucketIndex(hashSize: 1).bucket(of: PublicationKey(presentity: "", event: "")) == Int(Self.fnv("", "") & 1))
        #expect(index.bucket(of: key) == Int(Self.fnv("sip:201@pbx.example.com", "presence") & 511))
    }

    @Test func spreadsKeysOverAllBuckets() {
        let index = BucketIndex(hashSize: 4)
        var counts = Array(repeating: 0, count: index.bucketCount)
        for extension_ in 0..<16_000 {
            counts[index.bucket(of: PublicationKey(presentity: "sip:\(extension_)@pbx", event: "dialog"))] += 1
        }
        #expect(counts.allSatisfy { (800...1200).contains($0) }, "uneven buckets: \(counts)")
    }

    @Test func describesKeys() {
        #expect(PublicationKey(presentity: "sip:a@b", event: "dialog").description == "sip:a@b [dialog]")
        #expect(PublicationKey(presentity: "sip:a@b", event: "dialog;sla", id: "2").description == "sip:a@b [dialog;sla #2]")
    }

    /// Reference FNV-1a written independently of the implementation.
    static func fnv(_ presentity: String, _ event: String) -> UInt64 {
        let bytes = Array(presentity.utf8) + [0] + Array(event.utf8)
        return bytes.reduce(14_695_981_039_346_656_037 as UInt64) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
    }
}
