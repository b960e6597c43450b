/// A loaded configuration with where each value came from.
public struct EffectiveConfiguration: Sendable, Equatable {
    /// The values.
    public var configuration: LamplighterConfiguration
    /// Where each key that is not at its default came from, by dotted path.
    public var sources: [String: ConfigurationSource]

    /// The effective configuration as TOML-like lines, secrets masked, each with its source:
    /// what `lamplighter check-config` prints.
    public func rendered() -> String {
        var lines: [String] = []
        var section = ""
        for key in ConfigurationSchema.keys {
            let parts = key.path.split(separator: ".")
            let keySection = parts.dropLast().joined(separator: ".")
            let name = String(parts.last ?? "")
            if keySection != section {
                if !lines.isEmpty { lines.append("") }
                lines.append("[\(keySection)]")
                section = keySection
            }
            let source = (sources[key.path] ?? .defaultValue).description
            if let raw = key.render(configuration) {
                let shown = key.secret ? "\"****\"" : raw.display
                lines.append("\(name) = \(shown)  # \(source)")
            } else {
                lines.append("# \(name) is not set  (\(key.help))")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
