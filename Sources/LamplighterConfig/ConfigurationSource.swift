/// Where an effective configuration value came from.
public enum ConfigurationSource: Sendable, Equatable, CustomStringConvertible {
    /// Built-in default.
    case defaultValue
    /// A line of the configuration file.
    case file(path: String, line: Int)
    /// An environment variable.
    case environment(name: String)

    public var description: String {
        switch self {
        case .defaultValue: "default"
        case .file(let path, let line): "\(path):\(line)"
        case .environment(let name): "env \(name)"
        }
    }
}
