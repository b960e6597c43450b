// libFuzzer target: SIPCore's datagram parser, as the UDP transport uses it on every received datagram.
//
// Properties checked (a broken one is a crash, i.e. a finding):
//  1. `SIPParser.parse` never crashes (ASan catches memory errors, Swift traps on overflow/bounds).
//  2. Round trip: a message that parses serializes to bytes that parse (with room for what serialization
//     adds: compact names expanded, a Content-Length line) to an equal message, and serializing that again
//     gives the same bytes.
//  3. Datagram and stream parsing agree: when the input fed whole to `SIPStreamFramer` gives a first
//     message, it is the message the datagram parser gave (chunking independence: fuzz-sip-framer).
//  4. The typed header parsers (URI, name-addr, Via, CSeq, Event, Subscription-State, challenges,
//     credentials) and the accessors the stack uses never crash on the message's header values; URI,
//     name-addr and Via values that parse also round-trip through `description`.
// The process's entry point is Fuzz/Sources/FuzzMain (libFuzzer's driver).
import SIPCore

private let parser = SIPParser()
/// Re-parses serialized output with room for what serialization legitimately adds (compact names
/// expanded, a Content-Length line), so only grammar disagreements fail the round trip.
private let relaxedParser = SIPParser(limits: SIPLimits(
    maxMessageSize: 2 * SIPLimits.default.maxMessageSize, maxHeaderCount: SIPLimits.default.maxHeaderCount + 1,
    maxLineLength: 2 * SIPLimits.default.maxLineLength, maxBodySize: SIPLimits.default.maxBodySize))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let datagram = checkDatagram(bytes)
    checkFramer(bytes, datagram: datagram)
    return 0
}

// MARK: - Datagram parser and round trip

private func checkDatagram(_ bytes: [UInt8]) -> SIPMessage? {
    let message: SIPMessage
    do {
        message = try parser.parse(bytes)
    } catch {
        return nil
    }
    let wire = message.serialized()
    let again: SIPMessage
    do {
        again = try relaxedParser.parse(wire)
    } catch {
        fatalError("round trip: serialized message does not parse: \(error)\n--- serialized ---\n\(show(wire))")
    }
    precondition(again == message, "round trip: re-parsed message differs\n--- first ---\n\(message)\n--- second ---\n\(again)")
    let wire2 = again.serialized()
    precondition(wire2 == wire, "round trip: serialization is not stable\n--- first ---\n\(show(wire))\n--- second ---\n\(show(wire2))")
    checkHeaderValues(message.headers)
    if case .request(let request) = message { checkURI(request.uri.description) }
    return message
}

// MARK: - Typed header parsers

private func checkHeaderValues(_ headers: SIPHeaders) {
    for field in headers.fields {
        switch field.name {
        case "Via":
            for item in splitCommas(field.value) {
                if let via = try? SIPVia(parsing: item) {
                    let reparsed = try? SIPVia(parsing: via.description)
                    precondition(reparsed == via, "Via round trip: '\(item)' → '\(via.description)' → \(String(describing: reparsed))")
                }
            }
        case "From", "To", "Contact", "Route", "Record-Route", "Reply-To", "Refer-To", "Referred-By":
            // Contact may be '*'; comma splitting here is naive (quoted commas), which only adds inputs.
            for item in splitCommas(field.value) {
                if let address = try? SIPNameAddress(parsing: item) {
                    let reparsed = try? SIPNameAddress(parsing: address.description)
                    precondition(reparsed == address,
                                 "name-addr round trip: '\(item)' → '\(address.description)' → \(String(describing: reparsed))")
                    checkURI(address.uri.description)
                }
            }
        case "CSeq":
            _ = try? SIPCSeq(parsing: field.value)
        case "Event":
            _ = try? SIPEventHeader(parsing: field.value)
        case "Subscription-State":
            _ = try? SIPSubscriptionState(parsing: field.value)
        case "WWW-Authenticate", "Proxy-Authenticate":
            if let challenge = try? SIPChallenge(parsing: field.value) {
                _ = challenge.description
                _ = challenge.qopOptions
                _ = challenge.digestAlgorithm
            }
        case "Authorization", "Proxy-Authorization":
            if let credentials = try? SIPCredentials(parsing: field.value) { _ = credentials.description }
        default:
            // Anything else: try it as a URI too, to reach the URI parser with header-shaped input.
            _ = try? SIPURI(parsing: field.value)
        }
    }
    // The typed accessors the stack uses on received messages.
    _ = headers.topVia
    _ = headers.cseq
    _ = headers.expires
    _ = headers.maxForwards
    _ = headers.contentType
    _ = headers.sipETag
    _ = headers.wwwAuthenticate
    _ = headers.proxyAuthenticate
    _ = headers.contacts
}

private func checkURI(_ text: String) {
    guard let uri = try? SIPURI(parsing: text) else { return }
    let reparsed = try? SIPURI(parsing: uri.description)
    precondition(reparsed == uri, "URI round trip: '\(text)' → '\(uri.description)' → \(String(describing: reparsed))")
    _ = uri.addressOfRecord
}

private func splitCommas(_ value: String) -> [String] {
    value.split(separator: ",", omittingEmptySubsequences: true).map(String.init)
}

// MARK: - Stream framer

private enum Outcome: Equatable {
    case message(SIPMessage)
    case error(SIPParseError)
    case failed(SIPParseError)  // sticky: the stream is dead
}

/// Feeds `chunks` one after the other, draining `next()` after each, and returns every outcome.
private func frame(_ chunks: [ArraySlice<UInt8>]) -> [Outcome] {
    var framer = SIPStreamFramer()
    var outcomes: [Outcome] = []
    for chunk in chunks {
        framer.append(chunk)
        // Bounded: each message consumes at least one byte, so at most size + 1 rounds are useful.
        var rounds = 0
        while rounds <= chunk.count + 1 {
            rounds += 1
            do {
                guard let message = try framer.next() else { break }
                outcomes.append(.message(message))
            } catch {
                if framer.error != nil {
                    outcomes.append(.failed(error))
                    return outcomes
                }
                outcomes.append(.error(error))
            }
        }
        precondition(rounds <= chunk.count + 1, "framer: next() kept returning without consuming input")
    }
    return outcomes
}

private func checkFramer(_ bytes: [UInt8], datagram: SIPMessage?) {
    let whole = frame([bytes[...]])
    if let datagram, case .message(let first)? = whole.first {
        precondition(first == datagram, "framer and datagram parser disagree:\n--- datagram ---\n\(datagram)\n--- stream ---\n\(first)")
    }
}

private func show(_ bytes: [UInt8]) -> String {
    String(decoding: bytes, as: UTF8.self)
}
