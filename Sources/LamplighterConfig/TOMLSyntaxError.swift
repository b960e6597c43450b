/// A TOML document that could not be read, with the place of the fault.
public struct TOMLSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of fault.
    public enum Code: String, Sendable, Equatable {
        /// A character that cannot start or continue the construct being read.
        case unexpectedCharacter
        /// The document ended inside a construct.
        case unexpectedEnd
        /// A string with a bad escape, a control character or no closing quote.
        case invalidString
        /// A number that is not a valid TOML integer or float, or overflows 64 bits.
        case invalidNumber
        /// A key or table defined twice.
        case duplicateKey
        /// A key that extends a value that is not a table.
        case keyConflict
        /// A TOML feature this reader does not accept (dates and times).
        case unsupported
    }

    /// What kind of fault.
    public var code: Code
    /// 1-based line.
    public var line: Int
    /// 1-based column (in bytes).
    public var column: Int
    /// What was wrong, in words.
    public var context: String

    public var description: String {
        "line \(line), column \(column): \(context)"
    }
}
