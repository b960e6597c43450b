/// An XML body that could not be read.
public struct XMLParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of fault.
    public enum Code: String, Sendable, Equatable {
        /// Not well-formed XML.
        case malformed
        /// Well-formed, but not the expected document (wrong root or namespace).
        case unexpectedDocument
        /// Larger than the allowed body size.
        case tooLarge
        /// Fails the RFC schema.
        case invalid
    }

    /// What kind of fault.
    public var code: Code
    /// libxml2's or our words, with the line where known.
    public var context: String

    public var description: String { "\(code.rawValue): \(context)" }
}
