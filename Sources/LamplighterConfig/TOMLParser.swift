/// Reads TOML 1.0 documents (all of it but dates and times, which configuration does not use).
///
/// Scans bytes, never regular expressions; every fault is a ``TOMLSyntaxError`` with line and column.
public struct TOMLParser {
    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var lineStart = 0
    private var root = TOMLTable()
    private var currentPath: [String] = []
    /// Tables defined by a `[header]` (joined paths): defining one twice is an error.
    private var headerTables: Set<String> = []
    /// Tables and arrays written inline: they cannot be extended later.
    private var sealedPaths: Set<String> = []
    /// Tables created by `[[header]]`: the only arrays a header may append to or descend into.
    private var tableArrays: Set<String> = []
    private let maximumDepth = 32

    /// Parses a whole document.
    public static func parse(_ text: String) throws(TOMLSyntaxError) -> TOMLTable {
        var parser = TOMLParser(bytes: Array(text.utf8))
        return try parser.document()
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    // MARK: - Document structure

    private mutating func document() throws(TOMLSyntaxError) -> TOMLTable {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        while true {
            skipWhitespace()
            guard let byte = peek() else { break }
            switch byte {
            case UInt8(ascii: "#"):
                try skipComment()
            case UInt8(ascii: "\n"):
                newline()
            case UInt8(ascii: "\r"):
                try crlf()
            case UInt8(ascii: "["):
                try tableHeader()
                try endOfLine()
            default:
                var table = root
                try keyValue(into: &table, base: currentPath, line: line, inline: false)
                root = table
                try endOfLine()
            }
        }
        return root
    }

    private mutating func tableHeader() throws(TOMLSyntaxError) {
        let headerLine = line
        advance()  // [
        let isArray = peek() == UInt8(ascii: "[")
        if isArray { advance() }
        skipWhitespace()
        let path = try key()
        skipWhitespace()
        try expect(UInt8(ascii: "]"), "']' to close the table header")
        if isArray { try expect(UInt8(ascii: "]"), "']]' to close the array-of-tables header") }
        let joined = path.joined(separator: "\u{0}")
        if isArray {
            try appendTableArrayElement(path: path, line: headerLine)
            tableArrays.insert(joined)
            currentPath = path
        } else {
            if headerTables.contains(joined) {
                throw error(.duplicateKey, "table [\(path.joined(separator: "."))] is defined twice")
            }
            var table = root
            try ensureTable(in: &table, path: path[...], fullPath: path, line: headerLine, explicit: true)
            root = table
            headerTables.insert(joined)
            currentPath = path
        }
    }

    private mutating func endOfLine() throws(TOMLSyntaxError) {
        skipWhitespace()
        guard let byte = peek() else { return }
        switch byte {
        case UInt8(ascii: "#"): try skipComment()
        case UInt8(ascii: "\n"): newline()
        case UInt8(ascii: "\r"): try crlf()
        default: throw error(.unexpectedCharacter, "expected the end of the line, found '\(Character(UnicodeScalar(byte)))'")
        }
    }

    // MARK: - Tables

    /// Walks `path` from `table`, creating implicit tables, and fails where a non-table is in the way.
    private func ensureTable(
        in table: inout TOMLTable, path: ArraySlice<String>, fullPath: [String], line: Int, explicit: Bool
    ) throws(TOMLSyntaxError) {
        guard let head = path.first else { return }
        let consumed = Array(fullPath.prefix(fullPath.count - path.count + 1))
        let joined = consumed.joined(separator: "\u{0}")
        if sealedPaths.contains(joined) {
            throw error(.keyConflict, "'\(consumed.joined(separator: "."))' was written inline and cannot be extended")
        }
        switch table[head] {
        case nil:
            var child = TOMLTable()
            try ensureTable(in: &child, path: path.dropFirst(), fullPath: fullPath, line: line, explicit: explicit)
            table.set(head, .table(child), line: line)
        case .table(var child)?:
            try ensureTable(in: &child, path: path.dropFirst(), fullPath: fullPath, line: line, explicit: explicit)
            table.set(head, .table(child), line: line)
        case .array(var elements)? where tableArrays.contains(joined):
            guard case .table(var last)? = elements.last else {
                preconditionFailure("array of tables holds a non-table")
            }
            try ensureTable(in: &last, path: path.dropFirst(), fullPath: fullPath, line: line, explicit: explicit)
            elements[elements.count - 1] = .table(last)
            table.set(head, .array(elements), line: line)
        case let other?:
            throw error(.keyConflict, "'\(consumed.joined(separator: "."))' is a \(other.typeName), not a table")
        }
    }

    private mutating func appendTableArrayElement(path: [String], line: Int) throws(TOMLSyntaxError) {
        let parent = Array(path.dropLast())
        guard let last = path.last else { preconditionFailure("empty header path") }
        var table = root
        try ensureTable(in: &table, path: parent[...], fullPath: parent, line: line, explicit: false)
        let joined = path.joined(separator: "\u{0}")
        try modifyTable(in: &table, path: parent[...]) { (table: inout TOMLTable) throws(TOMLSyntaxError) in
            switch table[last] {
            case nil:
                table.set(last, .array([.table(TOMLTable())]), line: line)
            case .array(var elements)? where self.tableArrays.contains(joined):
                elements.append(.table(TOMLTable()))
                table.set(last, .array(elements), line: line)
            case let other?:
                throw self.error(.keyConflict, "'\(path.joined(separator: "."))' is a \(other.typeName), not an array of tables")
            }
        }
        root = table
    }

    /// Applies `body` to the table at `path`, descending into the last element of arrays of tables.
    private func modifyTable(
        in table: inout TOMLTable, path: ArraySlice<String>,
        _ body: (inout TOMLTable) throws(TOMLSyntaxError) -> Void
    ) throws(TOMLSyntaxError) {
        guard let head = path.first else {
            try body(&table)
            return
        }
        switch table[head] {
        case .table(var child)?:
            try modifyTable(in: &child, path: path.dropFirst(), body)
            table.set(head, .table(child), line: 0)
        case .array(var elements)?:
            guard case .table(var last)? = elements.last else {
                preconditionFailure("descending into an array that is not of tables")
            }
            try modifyTable(in: &last, path: path.dropFirst(), body)
            elements[elements.count - 1] = .table(last)
            table.set(head, .array(elements), line: 0)
        default:
            preconditionFailure("modifyTable on a path that ensureTable did not create")
        }
    }

    // MARK: - Key/value pairs

    private mutating func keyValue(
        into table: inout TOMLTable, base: [String], line valueLine: Int, inline: Bool
    ) throws(TOMLSyntaxError) {
        let dotted = try key()
        skipWhitespace()
        try expect(UInt8(ascii: "="), "'=' after the key '\(dotted.joined(separator: "."))'")
        skipWhitespace()
        let fullPath = base + dotted
        let value = try value(path: fullPath, depth: 0)
        let parent = Array(dotted.dropLast())
        guard let last = dotted.last else { preconditionFailure("empty key") }
        if !parent.isEmpty || !base.isEmpty {
            // Dotted keys create implicit tables below the current table.
            let relative = (inline ? [] : base) + parent
            try ensureTable(in: &table, path: relative[...], fullPath: relative, line: valueLine, explicit: false)
            try modifyTable(in: &table, path: relative[...]) { (target: inout TOMLTable) throws(TOMLSyntaxError) in
                guard target[last] == nil else {
                    throw self.error(.duplicateKey, "key '\(fullPath.joined(separator: "."))' is defined twice")
                }
                target.set(last, value, line: valueLine)
            }
        } else {
            guard table[last] == nil else {
                throw error(.duplicateKey, "key '\(fullPath.joined(separator: "."))' is defined twice")
            }
            table.set(last, value, line: valueLine)
        }
        if case .table = value { sealedPaths.insert(fullPath.joined(separator: "\u{0}")) }
    }

    /// A possibly dotted key: bare, basic-quoted or literal-quoted parts.
    private mutating func key() throws(TOMLSyntaxError) -> [String] {
        var parts: [String] = []
        while true {
            skipWhitespace()
            guard let byte = peek() else { throw error(.unexpectedEnd, "a key was expected") }
            switch byte {
            case UInt8(ascii: "\""):
                parts.append(try basicString())
            case UInt8(ascii: "'"):
                parts.append(try literalString())
            default:
                let start = index
                while let c = peek(), Self.isBareKeyByte(c) { advance() }
                if start == index {
                    throw error(.unexpectedCharacter, "a key was expected, found '\(Character(UnicodeScalar(byte)))'")
                }
                parts.append(String(decoding: bytes[start..<index], as: UTF8.self))
            }
            skipWhitespace()
            if peek() == UInt8(ascii: ".") {
                advance()
                continue
            }
            return parts
        }
    }

    private static func isBareKeyByte(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39)
            || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
    }

    // MARK: - Values

    private mutating func value(path: [String], depth: Int) throws(TOMLSyntaxError) -> TOMLValue {
        guard depth < maximumDepth else {
            throw error(.unsupported, "values nested deeper than \(maximumDepth) levels")
        }
        guard let byte = peek() else { throw error(.unexpectedEnd, "a value was expected") }
        switch byte {
        case UInt8(ascii: "\""):
            if lookingAt("\"\"\"") { return .string(try multilineBasicString()) }
            return .string(try basicString())
        case UInt8(ascii: "'"):
            if lookingAt("'''") { return .string(try multilineLiteralString()) }
            return .string(try literalString())
        case UInt8(ascii: "["):
            return try array(path: path, depth: depth)
        case UInt8(ascii: "{"):
            return try inlineTable(path: path, depth: depth)
        case UInt8(ascii: "t"):
            if lookingAt("true") { index += 4; return .boolean(true) }
        case UInt8(ascii: "f"):
            if lookingAt("false") { index += 5; return .boolean(false) }
        default:
            return try number()
        }
        throw error(.unexpectedCharacter, "a value was expected (string, number, boolean, array or table)")
    }

    private mutating func array(path: [String], depth: Int) throws(TOMLSyntaxError) -> TOMLValue {
        advance()  // [
        var elements: [TOMLValue] = []
        while true {
            try skipArrayFiller()
            if peek() == UInt8(ascii: "]") { advance(); return .array(elements) }
            elements.append(try value(path: path, depth: depth + 1))
            try skipArrayFiller()
            guard let byte = peek() else { throw error(.unexpectedEnd, "the array was not closed with ']'") }
            if byte == UInt8(ascii: ",") { advance(); continue }
            if byte == UInt8(ascii: "]") { advance(); return .array(elements) }
            throw error(.unexpectedCharacter, "expected ',' or ']' in the array")
        }
    }

    private mutating func skipArrayFiller() throws(TOMLSyntaxError) {
        while let byte = peek() {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"): advance()
            case UInt8(ascii: "\n"): newline()
            case UInt8(ascii: "\r"): try crlf()
            case UInt8(ascii: "#"): try skipComment()
            default: return
            }
        }
    }

    private mutating func inlineTable(path: [String], depth: Int) throws(TOMLSyntaxError) -> TOMLValue {
        advance()  // {
        var table = TOMLTable()
        skipWhitespace()
        if peek() == UInt8(ascii: "}") { advance(); return .table(table) }
        let savedSealed = sealedPaths
        sealedPaths = []
        defer { sealedPaths = savedSealed }
        while true {
            skipWhitespace()
            try keyValue(into: &table, base: [], line: line, inline: true)
            skipWhitespace()
            guard let byte = peek() else { throw error(.unexpectedEnd, "the inline table was not closed with '}'") }
            if byte == UInt8(ascii: ",") { advance(); continue }
            if byte == UInt8(ascii: "}") { advance(); return .table(table) }
            throw error(.unexpectedCharacter, "expected ',' or '}' in the inline table (inline tables stay on one line)")
        }
    }

    private mutating func number() throws(TOMLSyntaxError) -> TOMLValue {
        let start = index
        while let c = peek(), !Self.isValueTerminator(c) { advance() }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if text.isEmpty { throw error(at: start, .unexpectedCharacter, "a value was expected") }
        if text.count >= 10, text.dropFirst(4).first == "-", text.prefix(4).allSatisfy(\.isNumber) {
            throw error(at: start, .unsupported, "dates and times are not used in Lamplighter configuration ('\(text)')")
        }
        switch text {
        case "inf", "+inf": return .float(.infinity)
        case "-inf": return .float(-.infinity)
        case "nan", "+nan", "-nan": return .float(.nan)
        default: break
        }
        if text.hasPrefix("0x") || text.hasPrefix("0o") || text.hasPrefix("0b") {
            let radix = text.hasPrefix("0x") ? 16 : text.hasPrefix("0o") ? 8 : 2
            let digits = try Self.stripUnderscores(String(text.dropFirst(2)))
            guard let value = digits.flatMap({ Int64($0, radix: radix) }) else {
                throw error(at: start, .invalidNumber, "'\(text)' is not a valid integer")
            }
            return .integer(value)
        }
        let firstDigit = text.first == "+" || text.first == "-" ? text.dropFirst().first : text.first
        guard firstDigit?.isASCII == true, firstDigit?.isNumber == true else {
            throw error(at: start, .unexpectedCharacter, "'\(text)' is not a value (strings need quotes)")
        }
        let isFloat = text.contains(".") || text.contains("e") || text.contains("E")
        guard let cleaned = try Self.stripUnderscores(text) else {
            throw error(at: start, .invalidNumber, "'\(text)' has a misplaced '_'")
        }
        let unsigned = cleaned.hasPrefix("+") || cleaned.hasPrefix("-") ? cleaned.dropFirst() : cleaned[...]
        if unsigned.count > 1, unsigned.hasPrefix("0"), !unsigned.hasPrefix("0.") , !unsigned.hasPrefix("0e"), !unsigned.hasPrefix("0E") {
            throw error(at: start, .invalidNumber, "'\(text)' has a leading zero")
        }
        if isFloat {
            guard unsigned.first?.isNumber == true, !unsigned.hasSuffix("."), !unsigned.contains(".e"), !unsigned.contains(".E"),
                  let value = Double(cleaned) else {
                throw error(at: start, .invalidNumber, "'\(text)' is not a valid number")
            }
            return .float(value)
        }
        guard unsigned.allSatisfy(\.isASCII), unsigned.allSatisfy(\.isNumber), let value = Int64(cleaned) else {
            if unsigned.allSatisfy(\.isNumber), !unsigned.isEmpty {
                throw error(at: start, .invalidNumber, "'\(text)' does not fit in a 64-bit integer")
            }
            throw error(at: start, .unexpectedCharacter, "'\(text)' is not a value (strings need quotes)")
        }
        return .integer(value)
    }

    /// Removes `_` separators; nil when one is not between two digits.
    private static func stripUnderscores(_ text: String) throws(TOMLSyntaxError) -> String? {
        guard text.contains("_") else { return text }
        let characters = Array(text)
        for (offset, character) in characters.enumerated() where character == "_" {
            guard offset > 0, offset < characters.count - 1,
                  characters[offset - 1].isHexDigit, characters[offset + 1].isHexDigit else { return nil }
        }
        return String(text.filter { $0 != "_" })
    }

    private static func isValueTerminator(_ c: UInt8) -> Bool {
        c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\n") || c == UInt8(ascii: "\r")
            || c == UInt8(ascii: ",") || c == UInt8(ascii: "]") || c == UInt8(ascii: "}") || c == UInt8(ascii: "#")
    }

    // MARK: - Strings

    private mutating func basicString() throws(TOMLSyntaxError) -> String {
        advance()  // "
        var scalars = String.UnicodeScalarView()
        var raw: [UInt8] = []
        func flush() { scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars); raw.removeAll() }
        while true {
            guard let byte = peek() else { throw error(.invalidString, "the string was not closed with '\"'") }
            switch byte {
            case UInt8(ascii: "\""):
                advance()
                flush()
                return String(scalars)
            case UInt8(ascii: "\\"):
                flush()
                scalars.append(try escape())
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                throw error(.invalidString, "a basic string cannot span lines (use \"\"\" for that)")
            case 0x00..<0x20 where byte != UInt8(ascii: "\t"), 0x7F:
                throw error(.invalidString, "control character 0x\(String(byte, radix: 16)) in a string")
            default:
                raw.append(byte)
                advance()
            }
        }
    }

    private mutating func multilineBasicString() throws(TOMLSyntaxError) -> String {
        index += 3
        try skipNewlineAfterOpening()
        var scalars = String.UnicodeScalarView()
        var raw: [UInt8] = []
        func flush() { scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars); raw.removeAll() }
        while true {
            guard let byte = peek() else { throw error(.invalidString, "the string was not closed with '\"\"\"'") }
            if lookingAt("\"\"\"") {
                // Up to two quotes may directly precede the closing delimiter.
                var extra = 0
                while extra < 2, index + 3 + extra < bytes.count, bytes[index + 3 + extra] == UInt8(ascii: "\"") { extra += 1 }
                raw.append(contentsOf: repeatElement(UInt8(ascii: "\""), count: extra))
                index += 3 + extra
                flush()
                return String(scalars)
            }
            switch byte {
            case UInt8(ascii: "\\"):
                flush()
                advance()
                // A line-ending backslash trims the newline and leading whitespace.
                var probe = index
                while probe < bytes.count, bytes[probe] == UInt8(ascii: " ") || bytes[probe] == UInt8(ascii: "\t") { probe += 1 }
                if probe < bytes.count, bytes[probe] == UInt8(ascii: "\n") || bytes[probe] == UInt8(ascii: "\r") {
                    index = probe
                    try skipWhitespaceAndNewlines()
                } else {
                    index -= 1
                    scalars.append(try escape())
                }
            default:
                try appendMultilineByte(byte, to: &raw)
            }
        }
    }

    /// One byte of a multi-line string body: newlines kept (CRLF as LF), control characters refused.
    private mutating func appendMultilineByte(_ byte: UInt8, to raw: inout [UInt8]) throws(TOMLSyntaxError) {
        switch byte {
        case UInt8(ascii: "\n"):
            raw.append(byte)
            newline()
        case UInt8(ascii: "\r"):
            try crlf()
            raw.append(UInt8(ascii: "\n"))
        case 0x00..<0x20 where byte != UInt8(ascii: "\t"), 0x7F:
            throw error(.invalidString, "control character 0x\(String(byte, radix: 16)) in a string")
        default:
            raw.append(byte)
            advance()
        }
    }

    /// Skips spaces, tabs and newlines (after a line-ending backslash in a multi-line basic string).
    private mutating func skipWhitespaceAndNewlines() throws(TOMLSyntaxError) {
        while let byte = peek() {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"): advance()
            case UInt8(ascii: "\n"): newline()
            case UInt8(ascii: "\r"): try crlf()
            default: return
            }
        }
    }

    private mutating func literalString() throws(TOMLSyntaxError) -> String {
        advance()  // '
        let start = index
        while true {
            guard let byte = peek() else { throw error(.invalidString, "the string was not closed with \"'\"") }
            if byte == UInt8(ascii: "'") {
                let text = String(decoding: bytes[start..<index], as: UTF8.self)
                advance()
                return text
            }
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                throw error(.invalidString, "a literal string cannot span lines (use ''' for that)")
            }
            if (byte < 0x20 && byte != UInt8(ascii: "\t")) || byte == 0x7F {
                throw error(.invalidString, "control character 0x\(String(byte, radix: 16)) in a string")
            }
            advance()
        }
    }

    private mutating func multilineLiteralString() throws(TOMLSyntaxError) -> String {
        index += 3
        try skipNewlineAfterOpening()
        var raw: [UInt8] = []
        while true {
            guard let byte = peek() else { throw error(.invalidString, "the string was not closed with \"'''\"") }
            if lookingAt("'''") {
                var extra = 0
                while extra < 2, index + 3 + extra < bytes.count, bytes[index + 3 + extra] == UInt8(ascii: "'") { extra += 1 }
                raw.append(contentsOf: repeatElement(UInt8(ascii: "'"), count: extra))
                index += 3 + extra
                return String(decoding: raw, as: UTF8.self)
            }
            try appendMultilineByte(byte, to: &raw)
        }
    }

    private mutating func skipNewlineAfterOpening() throws(TOMLSyntaxError) {
        if peek() == UInt8(ascii: "\n") { newline() } else if peek() == UInt8(ascii: "\r") { try crlf() }
    }

    private mutating func escape() throws(TOMLSyntaxError) -> Unicode.Scalar {
        advance()  // backslash
        guard let byte = peek() else { throw error(.invalidString, "the string ends inside an escape") }
        advance()
        switch byte {
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            let count = byte == UInt8(ascii: "u") ? 4 : 8
            guard index + count <= bytes.count,
                  let code = UInt32(String(decoding: bytes[index..<index + count], as: UTF8.self), radix: 16),
                  let scalar = Unicode.Scalar(code) else {
                throw error(.invalidString, "invalid unicode escape in a string")
            }
            index += count
            return scalar
        default:
            throw error(.invalidString, "invalid escape '\\\(Character(UnicodeScalar(byte)))' in a string")
        }
    }

    // MARK: - Scanning

    private func peek() -> UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    private mutating func advance() {
        index += 1
    }

    private func lookingAt(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        return literal.withUTF8Buffer { buffer in
            for offset in 0..<count where bytes[index + offset] != buffer[offset] { return false }
            return true
        }
    }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { advance() }
    }

    private mutating func skipComment() throws(TOMLSyntaxError) {
        while let byte = peek(), byte != UInt8(ascii: "\n") {
            if byte == UInt8(ascii: "\r"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\n") { return }
            if (byte < 0x20 && byte != UInt8(ascii: "\t")) || byte == 0x7F {
                throw error(.unexpectedCharacter, "control character 0x\(String(byte, radix: 16)) in a comment")
            }
            advance()
        }
    }

    private mutating func newline() {
        advance()
        line += 1
        lineStart = index
    }

    private mutating func crlf() throws(TOMLSyntaxError) {
        guard index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\n") else {
            throw error(.unexpectedCharacter, "a carriage return must be followed by a line feed")
        }
        advance()
        newline()
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(TOMLSyntaxError) {
        guard peek() == byte else {
            if peek() == nil { throw error(.unexpectedEnd, "expected \(what)") }
            throw error(.unexpectedCharacter, "expected \(what)")
        }
        advance()
    }

    private func error(_ code: TOMLSyntaxError.Code, _ context: String) -> TOMLSyntaxError {
        error(at: index, code, context)
    }

    /// An error placed at byte `position` of the current line.
    private func error(at position: Int, _ code: TOMLSyntaxError.Code, _ context: String) -> TOMLSyntaxError {
        TOMLSyntaxError(code: code, line: line, column: position - lineStart + 1, context: context)
    }
}
