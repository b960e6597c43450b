import SIPCore

/// A throughput figure for one SIPCore operation.
struct RateFigure {
    var name: String
    var bytes: Int
    var samples: [RunSample]
    /// Operations per second on one core that the figure should reach.
    var target: Double

    var medianPerCPUSecond: Double { median(samples.map(\.perCPUSecond)) }
    var bestPerCPUSecond: Double { samples.map(\.perCPUSecond).max() ?? 0 }
    var medianPerWallSecond: Double { median(samples.map(\.perWallSecond)) }
}

/// Parse and serialize figures for the PUBLISH and its 200 OK, each on the calling thread.
func runSIPCoreBenchmarks(runs: Int, duration: Duration) -> [RateFigure] {
    let target = 200_000.0
    let parser = SIPParser()
    let publish: SIPRequest
    let ok: SIPResponse
    do {
        guard let request = try parser.parse(Messages.publish).request,
              let response = try parser.parse(Messages.publishOK).response
        else { fatalError("benchmark messages parse as the wrong kind") }
        publish = request
        ok = response
    } catch {
        fatalError("benchmark message does not parse: \(error)")
    }
    precondition(publish.body.count > 300 && publish.headers.sipIfMatch != nil && ok.headers.sipETag != nil)
    let publishWire = publish.serialized()

    var figures: [RateFigure] = []
    figures.append(RateFigure(name: "parse PUBLISH (PIDF body)", bytes: Messages.publish.count, samples: measureRate(runs: runs, duration: duration) {
        do { blackHole(try parser.parse(Messages.publish)) } catch { fatalError("\(error)") }
    }, target: target))
    figures.append(RateFigure(name: "serialize PUBLISH", bytes: publishWire.count, samples: measureRate(runs: runs, duration: duration) {
        blackHole(publish.serialized())
    }, target: target))
    figures.append(RateFigure(name: "parse 200 OK (SIP-ETag, Expires)", bytes: Messages.publishOK.count, samples: measureRate(runs: runs, duration: duration) {
        do { blackHole(try parser.parse(Messages.publishOK)) } catch { fatalError("\(error)") }
    }, target: target))
    // What the stack does with every response: parse, then match (top Via branch, CSeq) and read the PUBLISH result.
    figures.append(RateFigure(name: "parse 200 OK + read Via/CSeq/ETag/Expires", bytes: Messages.publishOK.count, samples: measureRate(runs: runs, duration: duration) {
        do {
            let headers = try parser.parse(Messages.publishOK).headers
            blackHole((headers.topVia?.branch, headers.cseq, headers.sipETag, headers.expires))
        } catch { fatalError("\(error)") }
    }, target: target))
    return figures
}
