import SIPCore
import Testing
@testable import PUACore

@Suite struct PresentityTableTests {
    func record(_ n: Int, event: String = "presence") -> PublicationRecord {
        let uri = SIPURI(user: "u\(n)", host: "example.com")
        return PublicationRecord(
            key: PublicationKey(presentity: uri.description, event: event), presentity: uri, machine: PublicationMachine(),
            contentType: "application/pidf+xml", tupleID: "t\(n)", callID: "c\(n)", fromTag: "f\(n)", source: .admin)
    }

    @Test func recordsLiveInTheirKeysBucketAndAreCounted() {
        var table = PresentityTable(hashSize: 4)
        #expect(table.bucketSizes.count == 16)
        for n in 0..<200 { table.insert(record(n)) }
        table.insert(record(7))  // a replacement, not a new record
        #expect(table.count == 200)
        #expect(table.bucketSizes.reduce(0, +) == 200)
        #expect(table.bucketSizes.allSatisfy { $0 > 0 }, "200 keys reach all 16 buckets")
        let key = record(42).key
        #expect(table.records(inBucket: table.index.bucket(of: key)).contains { $0.key == key })
        #expect(table[key]?.tupleID == "t42")

        #expect(table.remove(key)?.tupleID == "t42")
        #expect(table.remove(key) == nil)
        #expect(table[key] == nil)
        #expect(table.count == 199)
        #expect(Set(table.records.map(\.key)).count == 199)
    }

    @Test func modifyChangesInPlaceAndReportsMissingKeys() {
        var table = PresentityTable(hashSize: 2)
        table.insert(record(1))
        let changed: UInt32? = table.modify(record(1).key) { record -> UInt32 in
            record.cseq = 9
            return record.cseq
        }
        #expect(changed == 9)
        #expect(table[record(1).key]?.cseq == 9)
        let missing: UInt32? = table.modify(record(2).key) { record -> UInt32 in record.cseq }
        #expect(missing == nil)
    }

    @Test func theSameKeyInAnotherEventIsAnotherRecord() {
        var table = PresentityTable(hashSize: 3)
        table.insert(record(1))
        table.insert(record(1, event: "dialog"))
        #expect(table.count == 2)
    }
}
