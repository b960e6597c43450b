import SIPCore
import Testing

/// Deterministic mutation fuzzing of torture messages: parse either returns or
/// throws, and a successful parse survives serialise → parse unchanged.
@Suite("Mutation fuzzing")
struct MutationTests {
    static let interesting: [UInt8] = Array("\r\n \t:;,\"<>@%=?&[]/\\0123456789".utf8) + [0x00, 0x7F, 0x80, 0xFF]

    static func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var b = input
        let rounds = Int.random(in: 1...3, using: &rng)
        for _ in 0..<rounds {
            if b.isEmpty { b = [0x0D, 0x0A] }
            let p = Int.random(in: 0..<b.count, using: &rng)
            switch Int.random(in: 0..<7, using: &rng) {
            case 0: // bit flip
                b[p] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            case 1: // truncation
                b.removeSubrange(p...)
            case 2: // duplicate a range
                let n = Int.random(in: 1...min(200, b.count - p), using: &rng)
                let slice = Array(b[p..<(p + n)])
                b.insert(contentsOf: slice, at: Int.random(in: 0...b.count, using: &rng))
            case 3: // delete a range
                let n = Int.random(in: 1...min(50, b.count - p), using: &rng)
                b.removeSubrange(p..<(p + n))
            case 4: // insert an interesting byte
                b.insert(interesting.randomElement(using: &rng)!, at: p)
            case 5: // replace with an interesting byte
                b[p] = interesting.randomElement(using: &rng)!
            default: // random byte
                b[p] = UInt8.random(in: 0...255, using: &rng)
            }
        }
        return b
    }

    @Test func twentyThousandMutations() throws {
        var corpus = try Torture.allFiles.map { try Torture.bytes($0) }
        corpus.append(Samples.publish().serialized())
        corpus.append(contentsOf: try StreamFramerTests.messages().map { $0.serialized() })
        var rng = SplitMix64(seed: 0x5EED_4475)
        let parser = SIPParser()
        var parsed = 0
        var failures: [SIPParseError.Code: Int] = [:]
        for _ in 0..<20_000 {
            let input = Self.mutate(corpus.randomElement(using: &rng)!, &rng)
            switch parseResult(input) {
            case .failure(let e):
                failures[e.code, default: 0] += 1
                #expect(!e.context.isEmpty)
            case .success(let m):
                parsed += 1
                // Exercise typed accessors: they must not crash.
                _ = (m.from, m.to, m.cseq, m.vias, m.contacts, m.expires, m.event, m.subscriptionState)
                _ = (m.headers.wwwAuthenticate, m.headers.routes, m.headers.maxForwards, m.headers.retryAfter)
                let wire = m.serialized()
                let again: SIPMessage
                do {
                    again = try parser.parse(wire)
                } catch {
                    Issue.record("re-parse failed: \(error) for \(String(decoding: wire.prefix(300), as: UTF8.self).debugDescription)")
                    continue
                }
                #expect(again == m)
                #expect(again.serialized() == wire)
            }
        }
        // Sanity: the mutator produces both outcomes.
        #expect(parsed > 1000)
        #expect(failures.values.reduce(0, +) > 1000)
    }

    @Test func mutatedStreamsNeverHang() throws {
        var rng = SplitMix64(seed: 7)
        let base = StreamFramerTests.stream(try StreamFramerTests.messages())
        for _ in 0..<300 {
            let input = Self.mutate(base, &rng)
            var framer = SIPStreamFramer(limits: SIPLimits(maxMessageSize: 4096))
            var i = 0
            loop: while i < input.count {
                let n = Int.random(in: 1...64, using: &rng)
                framer.append(input[i..<min(i + n, input.count)])
                i += n
                while true {
                    do throws(SIPParseError) {
                        guard try framer.next() != nil else { break }
                    } catch {
                        if framer.error != nil { break loop }
                    }
                }
            }
            #expect(framer.bufferedByteCount <= 8192)
        }
    }
}
