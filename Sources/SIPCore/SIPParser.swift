/// Parses one complete SIP message from a datagram (RFC 3261 §7, §18.3).
///
/// Tolerant where RFC 3261 and RFC 4475 ask for tolerance (header folding,
/// LWS around colons, case-insensitive and compact names, leading CRLFs,
/// bare-LF line ends, trailing octets after Content-Length), strict and
/// bounded otherwise: every failure is a `SIPParseError`, never a crash.
///
/// The parser validates the start line, Content-Length framing and the
/// mandatory headers (To, From, CSeq, Call-ID, Via; each of To, From, CSeq,
/// Call-ID, Max-Forwards at most once; CSeq number ≤ 2^32-1; CSeq method =
/// request method except for ACK/CANCEL). Other headers are kept as strings
/// and parsed on demand by the typed accessors. Content-Length is consumed
/// for framing and not kept in `headers`.
public struct SIPParser: Sendable {
    /// Bounds enforced on input.
    public var limits: SIPLimits

    /// Creates a parser.
    public init(limits: SIPLimits = .default) {
        self.limits = limits
    }

    /// Parses one datagram held in an array (non-generic fast path).
    public func parse(_ bytes: [UInt8]) throws(SIPParseError) -> SIPMessage {
        try parse(bytes[...])
    }

    /// Parses one datagram held in an array slice (non-generic fast path).
    public func parse(_ bytes: ArraySlice<UInt8>) throws(SIPParseError) -> SIPMessage {
        if bytes.count > limits.maxMessageSize {
            throw SIPParseError(.messageTooLarge, "message of \(bytes.count) bytes exceeds limit \(limits.maxMessageSize)")
        }
        return try bytes.withUnsafeBufferPointer { buf in
            Result { () throws(SIPParseError) -> SIPMessage in try parseDatagram(buf) }
        }.get()
    }

    /// Parses one datagram. Without a Content-Length the body is the rest of
    /// the datagram; with one, octets beyond it are ignored.
    public func parse(_ bytes: some Collection<UInt8>) throws(SIPParseError) -> SIPMessage {
        if bytes.count > limits.maxMessageSize {
            throw SIPParseError(.messageTooLarge, "message of \(bytes.count) bytes exceeds limit \(limits.maxMessageSize)")
        }
        let result: Result<SIPMessage, SIPParseError>? = bytes.withContiguousStorageIfAvailable { buf in
            Result { () throws(SIPParseError) -> SIPMessage in try parseDatagram(buf) }
        }
        if let result { return try result.get() }
        let copy = Array(bytes)
        return try copy.withUnsafeBufferPointer { buf in
            Result { () throws(SIPParseError) -> SIPMessage in try parseDatagram(buf) }
        }.get()
    }

    func parseDatagram(_ buf: UnsafeBufferPointer<UInt8>) throws(SIPParseError) -> SIPMessage {
        var start = 0
        while start < buf.count, buf[start] == 0x0D || buf[start] == 0x0A { start += 1 }
        if start == buf.count { throw SIPParseError(.emptyMessage, "datagram contains only CRLF") }
        let head = try parseHead(buf, from: start, endAtEOF: true)
        let available = buf.count - head.bodyStart
        let bodyCount: Int
        if let cl = try contentLength(of: head) {
            if cl > available {
                throw SIPParseError(.contentLengthMismatch, "Content-Length \(cl) exceeds the \(available) body bytes in the datagram")
            }
            bodyCount = cl
        } else {
            if available > limits.maxBodySize {
                throw SIPParseError(.bodyTooLarge, "body of \(available) bytes exceeds limit \(limits.maxBodySize)")
            }
            bodyCount = available
        }
        let body = Array(UnsafeBufferPointer(rebasing: buf[head.bodyStart..<(head.bodyStart + bodyCount)]))
        return try assemble(head, body: body)
    }

    // MARK: - Head

    enum StartLine {
        case request(SIPMethod, SIPURI)
        case response(Int, String)
    }

    struct Head {
        var startLine: StartLine
        var headers: SIPHeaders
        /// Raw Content-Length values (trimmed), in order.
        var contentLengths: [String]
        /// Offset of the first body byte.
        var bodyStart: Int
        /// Per validated header (`SIPHeaderName.Tag`): number of fields and index of the last one.
        var tagCounts: [Int]
        var tagIndex: [Int]
    }

    /// Finds the end of the line starting at `pos`: returns (contentEnd, nextLineStart, hasBareCR), or nil without LF.
    @inline(__always)
    private func line(_ buf: UnsafeBufferPointer<UInt8>, _ pos: Int) -> (end: Int, next: Int, bareCR: Bool)? {
        var i = pos
        let n = buf.count
        var crs = 0
        while i < n {
            let c = buf[i]
            if c <= 0x0D {
                if c == 0x0A {
                    let end = (i > pos && buf[i - 1] == 0x0D) ? i - 1 : i
                    if end < i { crs -= 1 }
                    return (end, i + 1, crs > 0)
                }
                if c == 0x0D { crs += 1 }
            }
            i += 1
        }
        return nil
    }

    /// Parses the start line and header section starting at `start`.
    /// With `endAtEOF` (datagrams), input that ends right after a complete header
    /// line is accepted as a header section without the empty line (empty body).
    func parseHead(_ buf: UnsafeBufferPointer<UInt8>, from start: Int, endAtEOF: Bool = false) throws(SIPParseError) -> Head {
        guard let first = line(buf, start) else {
            throw SIPParseError(.truncatedMessage, "no line end after the start line")
        }
        if first.end - start > limits.maxLineLength {
            throw SIPParseError(.lineTooLong, "start line of \(first.end - start) bytes exceeds limit \(limits.maxLineLength)")
        }
        let startLine = try parseStartLine(UnsafeBufferPointer(rebasing: buf[start..<first.end]))

        var fields: [SIPHeaders.Field] = []
        fields.reserveCapacity(16)
        var contentLengths: [String] = []
        var tagCounts = [Int](repeating: 0, count: SIPHeaderName.Tag.count)
        var tagIndex = [Int](repeating: -1, count: SIPHeaderName.Tag.count)
        var pos = first.next

        // Current header being accumulated.
        var curName: String? = nil
        var curTag = SIPHeaderName.Tag.none
        var curStart = 0
        var curEnd = 0
        var folded: [UInt8]? = nil
        var headerCount = 0

        func flush() throws(SIPParseError) {
            guard let name = curName else { return }
            var value: String
            if let f = folded {
                value = f.withUnsafeBufferPointer { SIPParser.trimmedString($0[...]) }
            } else {
                value = SIPParser.trimmedString(buf[curStart..<curEnd])
            }
            if curTag == .contentLength {
                contentLengths.append(value)
            } else {
                if curTag != .none {
                    tagCounts[curTag.rawValue] += 1
                    tagIndex[curTag.rawValue] = fields.count
                }
                fields.append(SIPHeaders.Field(canonicalName: name, value: value))
            }
            curName = nil
            folded = nil
            value = ""
        }

        while true {
            guard let l = line(buf, pos) else {
                if endAtEOF, pos == buf.count {
                    try flush()
                    return Head(startLine: startLine, headers: SIPHeaders(fields: fields), contentLengths: contentLengths, bodyStart: pos,
                                tagCounts: tagCounts, tagIndex: tagIndex)
                }
                throw SIPParseError(.truncatedMessage, "header section is not terminated by an empty line")
            }
            let len = l.end - pos
            if len == 0 {
                try flush()
                return Head(startLine: startLine, headers: SIPHeaders(fields: fields), contentLengths: contentLengths, bodyStart: l.next,
                            tagCounts: tagCounts, tagIndex: tagIndex)
            }
            if len > limits.maxLineLength {
                throw SIPParseError(.lineTooLong, "header line of \(len) bytes exceeds limit \(limits.maxLineLength)")
            }
            // Bare CR inside a line is not allowed.
            if l.bareCR { throw SIPParseError(.malformedHeader, "bare CR inside a header line") }
            let c0 = buf[pos]
            if c0 == 0x20 || c0 == 0x09 {
                // Continuation line (RFC 3261 §7.3.1): replace CRLF + leading WS with one SP.
                guard curName != nil else {
                    throw SIPParseError(.malformedHeader, "continuation line without a preceding header")
                }
                if folded == nil { folded = Array(buf[curStart..<curEnd]) }
                var p = pos
                while p < l.end, buf[p] == 0x20 || buf[p] == 0x09 { p += 1 }
                while let last = folded!.last, last == 0x20 || last == 0x09 { folded!.removeLast() }
                folded!.append(0x20)
                folded!.append(contentsOf: UnsafeBufferPointer(rebasing: buf[p..<l.end]))
                if folded!.count > limits.maxLineLength {
                    throw SIPParseError(.lineTooLong, "\(curName!): unfolded header exceeds limit \(limits.maxLineLength)")
                }
            } else {
                try flush()
                headerCount += 1
                if headerCount > limits.maxHeaderCount {
                    throw SIPParseError(.tooManyHeaders, "more than \(limits.maxHeaderCount) header fields")
                }
                var p = pos
                while p < l.end, SIPLexer.isTokenChar(buf[p]) { p += 1 }
                let nameEnd = p
                while p < l.end, buf[p] == 0x20 || buf[p] == 0x09 { p += 1 }
                guard nameEnd > pos, p < l.end, buf[p] == UInt8(ascii: ":") else {
                    let shown = String(decoding: buf[pos..<min(l.end, pos + 40)], as: UTF8.self)
                    throw SIPParseError(.malformedHeader, "header line '\(shown)' is not 'name: value'")
                }
                let canonical = SIPHeaderName.canonicalTagged(UnsafeBufferPointer(rebasing: buf[pos..<nameEnd]))
                curName = canonical.name
                curTag = canonical.tag
                curStart = p + 1
                curEnd = l.end
            }
            pos = l.next
        }
    }

    static func trimmedString(_ s: Slice<UnsafeBufferPointer<UInt8>>) -> String {
        var a = s.startIndex
        var b = s.endIndex
        while a < b, s[a] == 0x20 || s[a] == 0x09 { a += 1 }
        while b > a, s[b - 1] == 0x20 || s[b - 1] == 0x09 { b -= 1 }
        return String(decoding: UnsafeBufferPointer(rebasing: s[a..<b]), as: UTF8.self)
    }

    private static func isSIPVersionPrefix(_ s: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        s.count >= 4 && SIPLexer.lower(s[s.startIndex]) == UInt8(ascii: "s") && SIPLexer.lower(s[s.startIndex + 1]) == UInt8(ascii: "i")
            && SIPLexer.lower(s[s.startIndex + 2]) == UInt8(ascii: "p") && s[s.startIndex + 3] == UInt8(ascii: "/")
    }

    /// Checks a SIP-Version element; throws invalidVersion for `SIP/x.y` other than 2.0.
    private static func checkVersion(_ s: Slice<UnsafeBufferPointer<UInt8>>) throws(SIPParseError) {
        let shown = String(decoding: UnsafeBufferPointer(rebasing: s.prefix(40)), as: UTF8.self)
        guard isSIPVersionPrefix(s) else {
            throw SIPParseError(.malformedStartLine, "'\(shown)' is not a SIP-Version")
        }
        let rest = s.dropFirst(4)
        if rest.elementsEqual("2.0".utf8) { return }
        throw SIPParseError(.invalidVersion, "unsupported SIP version '\(shown)'")
    }

    func parseStartLine(_ line: UnsafeBufferPointer<UInt8>) throws(SIPParseError) -> StartLine {
        let all = line[...]
        if line.contains(0x0D) || line.contains(0) {
            throw SIPParseError(.malformedStartLine, "control character in start line")
        }
        if SIPParser.isSIPVersionPrefix(all) {
            // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
            guard let sp1 = all.firstIndex(of: 0x20) else {
                throw SIPParseError(.malformedStartLine, "status line has no status code")
            }
            try SIPParser.checkVersion(all[..<sp1])
            let codeStart = sp1 + 1
            let codeEnd = all[codeStart...].firstIndex(of: 0x20) ?? all.endIndex
            let codeBytes = all[codeStart..<codeEnd]
            let shown = String(decoding: UnsafeBufferPointer(rebasing: codeBytes.prefix(20)), as: UTF8.self)
            guard codeBytes.count == 3, let code = SIPLexer.parseDecimal(codeBytes, max: 699), code >= 100 else {
                throw SIPParseError(.invalidStatusCode, "status code '\(shown)' is not in 100...699")
            }
            let reason = codeEnd < all.endIndex
                ? String(decoding: UnsafeBufferPointer(rebasing: all[(codeEnd + 1)...]), as: UTF8.self) : ""
            return .response(Int(code), reason)
        }
        // Request-Line = Method SP Request-URI SP SIP-Version, single SPs.
        guard let sp1 = all.firstIndex(of: 0x20) else {
            throw SIPParseError(.malformedStartLine, "start line is neither a request line nor a status line")
        }
        guard let sp2 = all[(sp1 + 1)...].firstIndex(of: 0x20) else {
            throw SIPParseError(.malformedStartLine, "request line has no SIP-Version")
        }
        let methodBytes = all[..<sp1]
        let uriBytes = all[(sp1 + 1)..<sp2]
        let versionBytes = all[(sp2 + 1)...]
        guard !uriBytes.isEmpty, !versionBytes.isEmpty, !versionBytes.contains(0x20) else {
            throw SIPParseError(.malformedStartLine, "request line elements must be separated by single spaces")
        }
        guard !methodBytes.isEmpty, methodBytes.allSatisfy(SIPLexer.isTokenChar) else {
            throw SIPParseError(.invalidMethod, "method '\(String(decoding: UnsafeBufferPointer(rebasing: methodBytes.prefix(40)), as: UTF8.self))' is not a token")
        }
        try SIPParser.checkVersion(versionBytes)
        let uri = try SIPURI(bytes: Array(uriBytes)[...])
        if !uri.headers.isEmpty {
            throw SIPParseError(.malformedURI, "Request-URI must not contain headers: '\(uri)'")
        }
        let method = SIPMethod(String(decoding: UnsafeBufferPointer(rebasing: methodBytes), as: UTF8.self))
        return .request(method, uri)
    }

    // MARK: - Framing and validation

    /// The Content-Length of a head, nil if absent. Throws for malformed, conflicting or over-limit values.
    func contentLength(of head: Head) throws(SIPParseError) -> Int? {
        var result: Int?
        for raw in head.contentLengths {
            let u = raw.utf8
            guard !u.isEmpty, u.allSatisfy(SIPLexer.isDigit) else {
                throw SIPParseError(.invalidHeaderValue, "Content-Length: '\(raw.prefix(40))' is not a non-negative integer")
            }
            guard let v = SIPLexer.parseDecimal(u, max: UInt64(limits.maxBodySize)) else {
                throw SIPParseError(.bodyTooLarge, "Content-Length \(raw.prefix(40)) exceeds limit \(limits.maxBodySize)")
            }
            if let r = result, r != Int(v) {
                throw SIPParseError(.contentLengthMismatch, "conflicting Content-Length values \(r) and \(v)")
            }
            result = Int(v)
        }
        return result
    }

    /// Validates mandatory headers and builds the message.
    func assemble(_ head: Head, body: [UInt8]) throws(SIPParseError) -> SIPMessage {
        let headers = head.headers
        typealias Tag = SIPHeaderName.Tag
        for (tag, name) in [(Tag.to, "To"), (.from, "From"), (.cseq, "CSeq"), (.callID, "Call-ID")] {
            let n = head.tagCounts[tag.rawValue]
            if n == 0 { throw SIPParseError(.missingHeader(name), "required header \(name) is missing") }
            if n > 1 { throw SIPParseError(.duplicateHeader(name), "header \(name) appears \(n) times") }
        }
        if head.tagCounts[Tag.via.rawValue] == 0 { throw SIPParseError(.missingHeader("Via"), "required header Via is missing") }
        let mf = head.tagCounts[Tag.maxForwards.rawValue]
        if mf > 1 {
            throw SIPParseError(.duplicateHeader("Max-Forwards"), "header Max-Forwards appears \(mf) times")
        }
        let fields = headers.fields
        let toValue = fields[head.tagIndex[Tag.to.rawValue]].value
        let fromValue = fields[head.tagIndex[Tag.from.rawValue]].value
        let cseqValue = fields[head.tagIndex[Tag.cseq.rawValue]].value
        let callIDValue = fields[head.tagIndex[Tag.callID.rawValue]].value

        let cseq = try SIPCSeq(parsing: cseqValue)
        if case .request(let method, _) = head.startLine, method != .ack, method != .cancel, cseq.method != method {
            throw SIPParseError(.cseqMethodMismatch, "CSeq: method \(cseq.method) does not match request method \(method)")
        }
        if callIDValue.isEmpty || callIDValue.utf8.contains(where: SIPLexer.isWS) {
            throw SIPParseError(.invalidHeaderValue, "Call-ID: '\(callIDValue.prefix(60))' is not a word[@word]")
        }
        try SIPParser.validateNameAddress(toValue, header: "To")
        try SIPParser.validateNameAddress(fromValue, header: "From")
        var items: [String] = []
        for f in fields where f.name == "Via" {
            items.removeAll(keepingCapacity: true)
            SIPHeaders.splitList(f.value, into: &items)
            if items.isEmpty { throw SIPParseError(.invalidHeaderValue, "Via: empty value") }
            for item in items {
                do {
                    _ = try SIPVia(parsing: item)
                } catch {
                    throw SIPParseError(error.code == .malformedURI ? .invalidHeaderValue : error.code, error.context)
                }
            }
        }

        switch head.startLine {
        case .request(let method, let uri):
            return .request(SIPRequest(method: method, uri: uri, headers: headers, body: body))
        case .response(let code, let reason):
            return .response(SIPResponse(statusCode: code, reason: reason, headers: headers, body: body))
        }
    }

    private static func validateNameAddress(_ value: String, header: String) throws(SIPParseError) {
        do {
            _ = try SIPNameAddress(parsing: value, header: header)
        } catch {
            if error.code == .malformedURI {
                throw SIPParseError(.invalidHeaderValue, "\(header): \(error.context)")
            }
            throw error
        }
    }
}
