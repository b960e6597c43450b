import LamplighterTestSupport
import SIPCore
import SIPStack
import Testing
@testable import PUACore

/// UDP loss between the engine and the presence server, played by sipp dropping a fifth of the requests it
/// receives and of the answers it sends: retransmissions (Timer E) carry every PUBLISH through, each update is
/// one transaction, and every publication ends published with the ETag of its last answer.
@Suite struct PublicationEngineUDPLossTests {
    static let publications = 40

    @Test func aFifthOfTheDatagramsLostEachWayLosesNoPublication() async throws {
        let sipp = try await Sipp.start(.lossy, in: Sipp.supportScenarios, maxCalls: 1000, timeout: .seconds(180))
        defer { sipp.stop() }
        let harness = try await EngineHarness(nextHop: try SIPURI(parsing: "sip:127.0.0.1:\(sipp.port)"))
        defer { Task { await harness.close() } }
        let uris = (0..<Self.publications).map { SIPURI(user: "lossy\($0)", host: "127.0.0.1") }

        // Initial PUBLISHes, then a modification of each (SIP-If-Match), both through the loss.
        for (round, basic) in ["open", "closed"].enumerated() {
            for uri in uris {
                try await harness.engine.sendPublish(PublishParameters(presentity: uri, event: "presence", body: EngineHarness.pidf(uri, basic), source: .admin))
            }
            var outcomes: [String: PublicationOutcome] = [:]
            for _ in uris {
                let (snapshot, outcome) = try await harness.next(timeout: .seconds(60))
                outcomes[snapshot.key.presentity] = outcome
            }
            #expect(outcomes.count == Self.publications, "round \(round): an outcome for each")
            #expect(outcomes.values.allSatisfy { $0 == .published(statusCode: 200) }, "round \(round): \(outcomes.filter { $0.value != .published(statusCode: 200) })")
        }
        for snapshot in await harness.engine.publications() {
            #expect(snapshot.state == .published)
            #expect(snapshot.etag?.hasPrefix("lossy") == true)
        }
        // One transaction per update, no storm: each publication's PUBLISHes that reached sipp carry at most two
        // CSeq numbers, one apart (sipp's log leaves out what its loss emulation dropped, so it is not counted).
        var sequences: [String: Set<Int>] = [:]
        for message in sipp.received where message.firstLine.hasPrefix("PUBLISH ") {
            let lines = message.text.components(separatedBy: "\r\n")
            let callID = lines.first { $0.lowercased().hasPrefix("call-id:") } ?? ""
            let cseq = lines.first { $0.lowercased().hasPrefix("cseq:") }.flatMap { Int($0.dropFirst(5).split(separator: " ").first ?? "") }
            sequences[callID, default: []].insert(cseq ?? -1)
        }
        #expect(sequences.count <= Self.publications)
        #expect(sequences.values.allSatisfy { $0.count <= 2 && ($0.max() ?? 0) - ($0.min() ?? 0) <= 1 }, "\(sequences.values.filter { $0.count > 2 })")
        let modifications = sipp.received.filter { $0.firstLine.hasPrefix("PUBLISH ") && $0.text.contains("SIP-If-Match") }
        #expect(!modifications.isEmpty)
        #expect(modifications.allSatisfy { $0.body.contains("<basic>closed</basic>") }, "the second round modified the publications it made")
        // The loss was real: the engine retransmitted.
        #expect(harness.endpoint.retransmissionsSent > 0)
    }
}
