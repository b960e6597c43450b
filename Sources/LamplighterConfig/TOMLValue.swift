/// A value read from a TOML document.
public enum TOMLValue: Sendable, Equatable {
    /// A basic or literal string, escapes already resolved.
    case string(String)
    /// A 64-bit integer (decimal, hex, octal or binary in the source).
    case integer(Int64)
    /// A floating-point number.
    case float(Double)
    /// `true` or `false`.
    case boolean(Bool)
    /// An array; TOML 1.0 allows mixed element types.
    case array([TOMLValue])
    /// A table: a standard table, an inline table, or one element of an array of tables.
    case table(TOMLTable)

    /// The TOML name of this value's type, for error messages.
    public var typeName: String {
        switch self {
        case .string: "string"
        case .integer: "integer"
        case .float: "float"
        case .boolean: "boolean"
        case .array: "array"
        case .table: "table"
        }
    }
}

/// An ordered TOML table: keys keep the order in which the document defined them.
public struct TOMLTable: Sendable, Equatable {
    /// Keys in definition order.
    public private(set) var keys: [String] = []
    private var values: [String: TOMLValue] = [:]
    /// The 1-based line where each key was defined, for error messages.
    public private(set) var lines: [String: Int] = [:]

    /// An empty table.
    public init() {}

    /// The value stored under `key`, if any.
    public subscript(key: String) -> TOMLValue? {
        values[key]
    }

    /// Stores `value` under `key`; the caller checks for redefinition.
    mutating func set(_ key: String, _ value: TOMLValue, line: Int) {
        if values.updateValue(value, forKey: key) == nil {
            keys.append(key)
            lines[key] = line
        }
    }

    /// Every leaf of this table as a dotted key path, in definition order.
    /// Arrays of tables are leaves: they are reported whole.
    public func flattened(prefix: String = "") -> [(path: String, value: TOMLValue, line: Int)] {
        var result: [(path: String, value: TOMLValue, line: Int)] = []
        for key in keys {
            let path = prefix.isEmpty ? key : "\(prefix).\(key)"
            let line = lines[key] ?? 0
            switch values[key] {
            case .table(let nested)?:
                let inner = nested.flattened(prefix: path)
                if inner.isEmpty {
                    result.append((path, .table(nested), line))
                } else {
                    result.append(contentsOf: inner)
                }
            case let value?:
                result.append((path, value, line))
            case nil:
                preconditionFailure("key list and value map disagree on \(key)")
            }
        }
        return result
    }
}
