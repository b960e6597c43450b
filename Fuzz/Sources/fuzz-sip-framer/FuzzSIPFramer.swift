// libFuzzer target: SIPCore's stream framer, as the TCP/TLS transports use it.
//
// Input: two control bytes, then the stream. The stream is appended in chunks whose lengths come from the
// control bytes (the first bounds a chunk to 1...first+1 bytes, the second seeds the sequence of lengths),
// and after each append `next()` is drained until it returns nil or the stream fails (a sticky error).
//
// Besides "never crashes", the one property checked is the one `SIPStreamFramer` documents: it works with input
// of any granularity, so the chunked stream yields the same messages, and errors with the same codes, as the
// whole stream appended at once.
import SIPCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    let stream = Array(input[2...])
    let maxChunk = Int(input[0]) + 1
    var state = UInt32(input[1]) &* 2_654_435_761 | 1

    /// One outcome of `next()`: a message, or the code of a thrown error and whether the stream failed for good.
    enum Outcome: Equatable {
        case message(SIPMessage)
        case error(SIPParseError.Code, sticky: Bool)
    }

    /// Appends `chunks` in order, draining after each; returns every outcome.
    func frame(_ chunks: [ArraySlice<UInt8>]) -> [Outcome] {
        var framer = SIPStreamFramer()
        var outcomes: [Outcome] = []
        for chunk in chunks {
            framer.append(chunk)
            // Each message consumes at least one byte: more rounds than that mean next() does not advance.
            for _ in 0...(stream.count + 1) {
                do {
                    guard let message = try framer.next() else { break }
                    outcomes.append(.message(message))
                } catch {
                    let sticky = framer.error != nil
                    outcomes.append(.error(error.code, sticky: sticky))
                    if sticky { return outcomes }
                }
            }
        }
        _ = framer.bufferedByteCount
        return outcomes
    }

    var chunks: [ArraySlice<UInt8>] = []
    var offset = 0
    while offset < stream.count {
        state ^= state << 13
        state ^= state >> 17
        state ^= state << 5
        let length = min(1 + Int(state % UInt32(maxChunk)), stream.count - offset)
        chunks.append(stream[offset..<(offset + length)])
        offset += length
    }
    let chunked = frame(chunks)
    let whole = frame([stream[...]])
    if chunked != whole {
        fatalError("SIPStreamFramer depends on chunking (max chunk \(maxChunk)): chunked \(chunked), whole \(whole)")
    }
    return 0
}
