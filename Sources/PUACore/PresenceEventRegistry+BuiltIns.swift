extension PresenceEventRegistry {
    /// presence, dialog, dialog;sla, message-summary and presence.winfo (subscribe only), as OpenSIPS pua adds them.
    public static var builtIn: PresenceEventRegistry {
        var registry = PresenceEventRegistry()
        for event in PresenceEvent.builtIns {
            try! registry.add(event)  // Distinct, non-empty names.
        }
        return registry
    }
}

extension PresenceEvent {
    /// The built-in events, in registration order.
    static let builtIns: [PresenceEvent] = [
        PresenceEvent(name: "presence", contentType: "application/pidf+xml", process: stampTupleIDs),
        PresenceEvent(name: "dialog", contentType: "application/dialog-info+xml", process: stampDialogVersion),
        PresenceEvent(name: "dialog;sla", contentType: "application/dialog-info+xml", process: stampDialogVersion),
        PresenceEvent(name: "message-summary", contentType: "application/simple-message-summary"),
        PresenceEvent(name: "presence.winfo", contentType: "application/watcherinfo+xml", canPublish: false),
    ]

    /// PIDF: inserts `id="<tupleID>"` right after the name of every `tuple` start tag (any prefix) without an
    /// `id` attribute; every other byte is kept.
    public static let stampTupleIDs: BodyProcessor = { (context: BodyContext) throws(BodyProcessingError) -> [UInt8] in
        let body = context.body
        try checkSize(body)
        var scanner = MarkupScanner(body)
        var insertions: [Int] = []
        var sawRoot = false
        while let tag = try scanner.nextStartTag() {
            if !sawRoot {
                sawRoot = true
                try tag.expectRoot("presence", in: body)
            }
            if tag.hasLocalName("tuple", in: body), tag.attribute(named: "id", in: body) == nil {
                insertions.append(tag.nameEnd)
            }
        }
        guard sawRoot else { throw BodyProcessingError(code: .noRootElement, context: "no root element in \(body.count) bytes") }
        guard !insertions.isEmpty else { return body }
        let attribute = Array(" id=\"".utf8) + escapedAttributeValue(context.tupleID) + [UInt8(ascii: "\"")]
        var result: [UInt8] = []
        result.reserveCapacity(body.count + insertions.count * attribute.count)
        var copied = 0
        for position in insertions {
            result += body[copied..<position]
            result += attribute
            copied = position
        }
        result += body[copied...]
        return result
    }

    /// dialog-info: sets the root `dialog-info` element's (any prefix) `version` attribute to the context's
    /// version, replacing the value in its own quotes or adding `version="N"` after the element name.
    public static let stampDialogVersion: BodyProcessor = { (context: BodyContext) throws(BodyProcessingError) -> [UInt8] in
        let body = context.body
        try checkSize(body)
        var scanner = MarkupScanner(body)
        guard let root = try scanner.nextStartTag() else {
            throw BodyProcessingError(code: .noRootElement, context: "no root element in \(body.count) bytes")
        }
        try root.expectRoot("dialog-info", in: body)
        let version = Array(String(context.version).utf8)
        if let attribute = root.attribute(named: "version", in: body) {
            return Array(body[..<attribute.value.lowerBound]) + version + body[attribute.value.upperBound...]
        }
        return Array(body[..<root.nameEnd]) + Array(" version=\"".utf8) + version + [UInt8(ascii: "\"")]
            + body[root.nameEnd...]
    }

    /// `value` with `&`, `<` and `"` escaped for a double-quoted attribute.
    static func escapedAttributeValue(_ value: String) -> [UInt8] {
        var result: [UInt8] = []
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "&"): result += Array("&amp;".utf8)
            case UInt8(ascii: "<"): result += Array("&lt;".utf8)
            case UInt8(ascii: "\""): result += Array("&quot;".utf8)
            default: result.append(byte)
            }
        }
        return result
    }
}

/// A start tag found by `MarkupScanner`, as byte offsets into the body.
struct StartTag {
    /// One attribute: its name and its value without the quotes.
    struct Attribute {
        var name: Range<Int>
        var value: Range<Int>
    }

    /// Offset of `<`.
    var start: Int
    /// The element name, prefix included.
    var name: Range<Int>
    var attributes: [Attribute]

    /// Offset just after the element name, where new attributes go.
    var nameEnd: Int { name.upperBound }

    /// True when the name after any `prefix:` is `local`.
    func hasLocalName(_ local: String, in body: [UInt8]) -> Bool {
        let qualified = body[name]
        let localStart = qualified.lastIndex(of: UInt8(ascii: ":")).map { $0 + 1 } ?? name.lowerBound
        return body[localStart..<name.upperBound].elementsEqual(local.utf8)
    }

    /// The unprefixed attribute called `attributeName`, or nil.
    func attribute(named attributeName: String, in body: [UInt8]) -> Attribute? {
        attributes.first { body[$0.name].elementsEqual(attributeName.utf8) }
    }

    /// Throws `unexpectedRootElement` unless this (root) element's local name is `local`.
    func expectRoot(_ local: String, in body: [UInt8]) throws(BodyProcessingError) {
        guard hasLocalName(local, in: body) else {
            let found = String(decoding: body[name].prefix(64), as: UTF8.self)
            throw BodyProcessingError(
                code: .unexpectedRootElement, context: "root element <\(found)> at byte \(start), expected \(local)")
        }
    }
}

/// A forward-only, byte-based scanner over XML markup: finds start tags and skips text, end tags,
/// comments, CDATA sections, processing instructions and declarations. Every step advances, so a scan
/// is linear in the body's size.
struct MarkupScanner {
    let body: [UInt8]
    private(set) var position = 0

    init(_ body: [UInt8]) {
        self.body = body
    }

    /// The next start tag (or empty-element tag), or nil at the end of the body.
    mutating func nextStartTag() throws(BodyProcessingError) -> StartTag? {
        while let open = index(of: UInt8(ascii: "<"), from: position) {
            let start = open
            guard open + 1 < body.count else { throw unterminated("tag", at: start) }
            switch body[open + 1] {
            case UInt8(ascii: "?"):
                position = try end(of: "?>", from: open + 2, kind: "processing instruction", start: start)
            case UInt8(ascii: "!"):
                if hasPrefix("<!--", at: open) {
                    position = try end(of: "-->", from: open + 4, kind: "comment", start: start)
                } else if hasPrefix("<![CDATA[", at: open) {
                    position = try end(of: "]]>", from: open + 9, kind: "CDATA section", start: start)
                } else {
                    position = try endOfDeclaration(from: open + 2, start: start)
                }
            case UInt8(ascii: "/"):
                guard let close = index(of: UInt8(ascii: ">"), from: open + 2) else { throw unterminated("end tag", at: start) }
                position = close + 1
            default:
                return try startTag(at: open)
            }
        }
        position = body.count
        return nil
    }

    /// Reads the start tag whose `<` is at `start` and moves past its `>`.
    private mutating func startTag(at start: Int) throws(BodyProcessingError) -> StartTag {
        var i = start + 1
        while i < body.count, !isNameEnd(body[i]) { i += 1 }
        let name = (start + 1)..<i
        guard !name.isEmpty else { throw malformed("empty element name", at: start) }
        var attributes: [StartTag.Attribute] = []
        while true {
            while i < body.count, isSpace(body[i]) { i += 1 }
            guard i < body.count else { throw unterminated("tag", at: start) }
            switch body[i] {
            case UInt8(ascii: ">"):
                position = i + 1
                return StartTag(start: start, name: name, attributes: attributes)
            case UInt8(ascii: "/"):
                guard i + 1 < body.count else { throw unterminated("tag", at: start) }
                guard body[i + 1] == UInt8(ascii: ">") else { throw malformed("stray '/' at byte \(i)", at: start) }
                position = i + 2
                return StartTag(start: start, name: name, attributes: attributes)
            default:
                let nameStart = i
                while i < body.count, !isNameEnd(body[i]), body[i] != UInt8(ascii: "=") { i += 1 }
                let attributeName = nameStart..<i
                guard !attributeName.isEmpty else { throw malformed("unexpected byte at \(i)", at: start) }
                while i < body.count, isSpace(body[i]) { i += 1 }
                guard i < body.count else { throw unterminated("tag", at: start) }
                guard body[i] == UInt8(ascii: "=") else { throw malformed("attribute without '=' at byte \(nameStart)", at: start) }
                i += 1
                while i < body.count, isSpace(body[i]) { i += 1 }
                guard i < body.count else { throw unterminated("tag", at: start) }
                let quote = body[i]
                guard quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else {
                    throw malformed("unquoted attribute value at byte \(i)", at: start)
                }
                guard let close = index(of: quote, from: i + 1) else { throw unterminated("tag", at: start) }
                attributes.append(StartTag.Attribute(name: attributeName, value: (i + 1)..<close))
                i = close + 1
            }
        }
    }

    /// Skips `<!DOCTYPE ...>` and the like, including a bracketed internal subset and quoted strings.
    private func endOfDeclaration(from: Int, start: Int) throws(BodyProcessingError) -> Int {
        var i = from
        var depth = 0
        var quote: UInt8? = nil
        while i < body.count {
            let byte = body[i]
            if let open = quote {
                if byte == open { quote = nil }
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                quote = byte
            } else if byte == UInt8(ascii: "[") {
                depth += 1
            } else if byte == UInt8(ascii: "]") {
                depth = max(0, depth - 1)
            } else if byte == UInt8(ascii: ">"), depth == 0 {
                return i + 1
            }
            i += 1
        }
        throw unterminated("declaration", at: start)
    }

    /// Offset just past the first `terminator` at or after `from`.
    private func end(of terminator: String, from: Int, kind: String, start: Int) throws(BodyProcessingError) -> Int {
        let pattern = Array(terminator.utf8)
        var i = from
        while i + pattern.count <= body.count {
            if body[i..<(i + pattern.count)].elementsEqual(pattern) { return i + pattern.count }
            i += 1
        }
        throw unterminated(kind, at: start)
    }

    private func hasPrefix(_ prefix: String, at offset: Int) -> Bool {
        let pattern = Array(prefix.utf8)
        return offset + pattern.count <= body.count && body[offset..<(offset + pattern.count)].elementsEqual(pattern)
    }

    private func index(of byte: UInt8, from: Int) -> Int? {
        guard from < body.count else { return nil }
        return body[from...].firstIndex(of: byte)
    }

    private func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private func isNameEnd(_ byte: UInt8) -> Bool {
        isSpace(byte) || byte == UInt8(ascii: "/") || byte == UInt8(ascii: ">")
    }

    private func unterminated(_ kind: String, at start: Int) -> BodyProcessingError {
        BodyProcessingError(code: .unterminatedTag, context: "\(kind) at byte \(start) is not terminated")
    }

    private func malformed(_ detail: String, at start: Int) -> BodyProcessingError {
        BodyProcessingError(code: .malformedTag, context: "tag at byte \(start): \(detail)")
    }
}
