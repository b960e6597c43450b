/// One known configuration key: its type, its checks, how it is applied and how it is shown.
struct ConfigurationKey: Sendable {
    /// A value as read from TOML or from an environment variable, before checks.
    enum RawValue: Sendable {
        case string(String)
        case integer(Int64)
        case boolean(Bool)
        case strings([String])

        var display: String {
            switch self {
            case .string(let text): quote(text)
            case .integer(let number): String(number)
            case .boolean(let flag): String(flag)
            case .strings(let texts): "[" + texts.map(quote).joined(separator: ", ") + "]"
            }
        }
    }

    /// The TOML type a key takes.
    enum Kind: Sendable {
        case string
        case integer(ClosedRange<Int64>)
        case boolean
        case stringArray

        var name: String {
            switch self {
            case .string: "a string"
            case .integer(let range): "an integer from \(range.lowerBound) to \(range.upperBound)"
            case .boolean: "a boolean (true or false)"
            case .stringArray: "an array of strings"
            }
        }
    }

    typealias Apply = @Sendable (inout LamplighterConfiguration, RawValue) throws(ConfigurationKeyRejection) -> Void
    typealias Render = @Sendable (LamplighterConfiguration) -> RawValue?

    /// Dotted path, e.g. `pua.hash_size`.
    let path: String
    /// TOML type and, for integers, the range.
    let kind: Kind
    /// Whether the value is masked when shown.
    let secret: Bool
    /// Whether the daemon cannot start without it.
    let required: Bool
    /// A one-line description, shown by `check-config`.
    let help: String
    let apply: Apply
    let render: Render

    /// The environment variable that overrides this key: `LAMPLIGHTER_` + the path upper-cased, dots as `_`.
    var environmentName: String {
        "LAMPLIGHTER_" + path.uppercased().replacingDots()
    }
}

/// Why a key refused a value of the right type.
struct ConfigurationKeyRejection: Error {
    var code: ConfigurationError.Code
    var allowed: String
    var detail: String?
}

func quote(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\t": result += "\\t"
        case "\r": result += "\\r"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                result += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
    }
    return result + "\""
}

extension String {
    fileprivate func replacingDots() -> String {
        String(map { $0 == "." ? "_" : $0 })
    }
}
