/// One `name[=value]` parameter of a URI or header field.
public struct SIPParameter: Hashable, Sendable {
    /// Parameter name as received or set.
    public var name: String
    /// Value, or nil for a flag parameter such as `lr` or `rport`.
    public var value: String?

    /// Creates a parameter.
    public init(_ name: String, _ value: String? = nil) {
        self.name = name
        self.value = value
    }
}
