/// An ordered list of header fields with case-insensitive names.
///
/// Known names are stored in canonical spelling and compact forms are
/// expanded (`i` → `Call-ID`, `TO` → `To`); unknown names keep their spelling.
/// Repeated fields keep their order. Values are stored unfolded and trimmed.
public struct SIPHeaders: Sendable, Equatable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    /// One header field.
    public struct Field: Sendable, Equatable, Hashable {
        /// Header name (canonical for known headers).
        public var name: String
        /// Header value as one line.
        public var value: String

        /// Creates a field; the name is canonicalised.
        public init(name: String, value: String) {
            self.name = SIPHeaderName.canonical(name)
            self.value = value
        }

        init(canonicalName: String, value: String) {
            self.name = canonicalName
            self.value = value
        }
    }

    /// The fields in order.
    public private(set) var fields: [Field]

    /// Creates an empty header list.
    public init() { fields = [] }

    /// Creates headers from `(name, value)` pairs in order.
    public init(_ pairs: [(String, String)]) {
        fields = pairs.map { Field(name: $0.0, value: $0.1) }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    init(fields: [Field]) { self.fields = fields }

    /// Number of fields.
    public var count: Int { fields.count }
    /// Whether there are no fields.
    public var isEmpty: Bool { fields.isEmpty }

    public func makeIterator() -> AnyIterator<(name: String, value: String)> {
        var i = fields.makeIterator()
        return AnyIterator { i.next().map { (name: $0.name, value: $0.value) } }
    }

    @inline(__always) private static func matches(_ field: Field, _ canonicalName: String) -> Bool {
        field.name == canonicalName || SIPLexer.equalsIgnoringCase(field.name, canonicalName)
    }

    /// Appends a field (after any existing fields of the same name).
    public mutating func add(_ name: String, _ value: String) {
        fields.append(Field(name: name, value: value))
    }

    mutating func append(canonicalName: String, value: String) {
        fields.append(Field(canonicalName: canonicalName, value: value))
    }

    /// Replaces all fields named `name` with one field, at the position of the first (or at the end).
    public mutating func set(_ name: String, _ value: String) {
        let n = SIPHeaderName.canonical(name)
        if let i = fields.firstIndex(where: { Self.matches($0, n) }) {
            fields[i].value = value
            fields[i].name = n
            var j = fields.count - 1
            while j > i {
                if Self.matches(fields[j], n) { fields.remove(at: j) }
                j -= 1
            }
        } else {
            fields.append(Field(canonicalName: n, value: value))
        }
    }

    /// Removes all fields named `name`.
    public mutating func remove(_ name: String) {
        let n = SIPHeaderName.canonical(name)
        fields.removeAll { Self.matches($0, n) }
    }

    /// Whether a field named `name` is present.
    public func contains(_ name: String) -> Bool {
        let n = SIPHeaderName.canonical(name)
        return fields.contains { Self.matches($0, n) }
    }

    /// The value of the first field named `name` (case-insensitive, compact forms accepted).
    public func first(_ name: String) -> String? {
        let n = SIPHeaderName.canonical(name)
        for f in fields where Self.matches(f, n) { return f.value }
        return nil
    }

    /// Number of fields (header lines) named `name`.
    public func fieldCount(_ name: String) -> Int {
        let n = SIPHeaderName.canonical(name)
        return fields.reduce(0) { $0 + (Self.matches($1, n) ? 1 : 0) }
    }

    /// All values of `name` in order. For list headers (Via, Route, Record-Route,
    /// Contact, Allow, Supported, Allow-Events, Require, Accept, ...) each field is
    /// split at top-level commas — not inside quoted strings or `<...>` — and
    /// empty elements are dropped; other headers give one value per field.
    public func all(_ name: String) -> [String] {
        let n = SIPHeaderName.canonical(name)
        let split = SIPHeaderName.isList(n)
        var out: [String] = []
        for f in fields where Self.matches(f, n) {
            if split {
                SIPHeaders.splitList(f.value, into: &out)
            } else {
                out.append(f.value)
            }
        }
        return out
    }

    /// Splits a list header value at commas outside quotes and angle brackets.
    static func splitList(_ value: String, into out: inout [String]) {
        if !value.utf8.contains(UInt8(ascii: ",")) {
            if let f = value.utf8.first, let l = value.utf8.last, !SIPLexer.isWS(f), !SIPLexer.isWS(l) {
                out.append(value)
                return
            }
            let t = SIPLexer.trimWS(Substring(value))
            if !t.isEmpty { out.append(String(t)) }
            return
        }
        let u = Array(value.utf8)
        var start = 0
        var inQuote = false
        var inAngle = false
        var i = 0
        func emit(_ end: Int) {
            let t = SIPLexer.trimWS(Substring(String(decoding: u[start..<end], as: UTF8.self)))
            if !t.isEmpty { out.append(String(t)) }
        }
        while i < u.count {
            let c = u[i]
            if inQuote {
                if c == UInt8(ascii: "\\") { i += 1 } else if c == UInt8(ascii: "\"") { inQuote = false }
            } else if c == UInt8(ascii: "\"") {
                inQuote = true
            } else if c == UInt8(ascii: "<") {
                inAngle = true
            } else if c == UInt8(ascii: ">") {
                inAngle = false
            } else if c == UInt8(ascii: ","), !inAngle {
                emit(i)
                start = i + 1
            }
            i += 1
        }
        emit(u.count)
    }
}
