/// A configuration that cannot be used: names the key, the value and what is allowed.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of fault.
    public enum Code: String, Sendable, Equatable {
        /// The file could not be read.
        case unreadableFile
        /// The file is not valid TOML.
        case syntax
        /// A key (or `LAMPLIGHTER_*` variable) that Lamplighter does not know.
        case unknownKey
        /// A value of the wrong TOML type.
        case wrongType
        /// A number outside its allowed range.
        case outOfRange
        /// A value of the right type that is still not acceptable (a malformed URL, an unknown transport).
        case invalidValue
        /// A key that has no default and was not given.
        case missingKey
    }

    /// What kind of fault.
    public var code: Code
    /// The dotted key, e.g. `pua.hash_size`; nil for faults of the whole file.
    public var key: String?
    /// The offending value as written (secrets masked).
    public var value: String?
    /// What would have been accepted.
    public var allowed: String?
    /// Where the value came from: `FILE:LINE`, an environment variable or `default`.
    public var source: String
    /// Extra words on the fault.
    public var detail: String?

    public init(
        code: Code, key: String? = nil, value: String? = nil, allowed: String? = nil,
        source: String, detail: String? = nil
    ) {
        self.code = code
        self.key = key
        self.value = value
        self.allowed = allowed
        self.source = source
        self.detail = detail
    }

    public var description: String {
        var text = "\(source): "
        switch code {
        case .unreadableFile: text += "cannot read the configuration file"
        case .syntax: text += "not valid TOML"
        case .unknownKey: text += "unknown key '\(key ?? "")'"
        case .wrongType: text += "wrong type for '\(key ?? "")'"
        case .outOfRange: text += "value out of range for '\(key ?? "")'"
        case .invalidValue: text += "invalid value for '\(key ?? "")'"
        case .missingKey: text += "missing required key '\(key ?? "")'"
        }
        if let value { text += ": got \(value)" }
        if let detail { text += "; \(detail)" }
        if let allowed { text += "; allowed: \(allowed)" }
        return text
    }
}
