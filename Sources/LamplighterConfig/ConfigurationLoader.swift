import Foundation

/// Builds the effective configuration: defaults, then the TOML file, then `LAMPLIGHTER_*` variables.
///
/// Unknown keys and unknown `LAMPLIGHTER_*` variables are errors: a typo must not pass silently.
public enum ConfigurationLoader {
    /// Variables with the `LAMPLIGHTER_` prefix that are not configuration keys.
    static let reservedEnvironmentPrefixes = ["LAMPLIGHTER_TEST_"]
    /// The largest configuration file read.
    static let maximumFileSize = 1 << 20

    /// Reads the file at `path` and applies `environment` on top.
    public static func load(path: String, environment: [String: String]) throws(ConfigurationError) -> EffectiveConfiguration {
        let text: String
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            if let size = attributes[.size] as? Int, size > maximumFileSize {
                throw ConfigurationError(
                    code: .unreadableFile, value: "\(size) bytes", allowed: "at most \(maximumFileSize) bytes", source: path)
            }
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard let decoded = String(data: data, encoding: .utf8) else {
                throw ConfigurationError(code: .unreadableFile, source: path, detail: "the file is not UTF-8")
            }
            text = decoded
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw ConfigurationError(code: .unreadableFile, source: path, detail: Self.reason(of: error))
        }
        return try load(toml: text, path: path, environment: environment)
    }

    /// Applies the TOML `text` (named `path` in messages) and `environment` on top of the defaults.
    public static func load(toml text: String, path: String, environment: [String: String]) throws(ConfigurationError) -> EffectiveConfiguration {
        var configuration = LamplighterConfiguration()
        var sources: [String: ConfigurationSource] = [:]

        let table: TOMLTable
        do {
            table = try TOMLParser.parse(text)
        } catch {
            throw ConfigurationError(code: .syntax, source: "\(path):\(error.line):\(error.column)", detail: error.context)
        }

        for (keyPath, value, line) in table.flattened() {
            let source = ConfigurationSource.file(path: path, line: line)
            guard let key = ConfigurationSchema.byPath[keyPath] else {
                throw ConfigurationError(
                    code: .unknownKey, key: keyPath, source: source.description, detail: suggestion(for: keyPath))
            }
            let raw = try rawValue(of: value, for: key, source: source)
            try apply(key, raw, to: &configuration, source: source)
            sources[key.path] = source
        }

        for name in environment.keys.sorted() where name.hasPrefix("LAMPLIGHTER_") {
            if reservedEnvironmentPrefixes.contains(where: { name.hasPrefix($0) }) { continue }
            guard let key = ConfigurationSchema.keys.first(where: { $0.environmentName == name }) else {
                throw ConfigurationError(
                    code: .unknownKey, key: name, source: "environment",
                    detail: "no configuration key is overridden by \(name)")
            }
            let source = ConfigurationSource.environment(name: name)
            let raw = try rawValue(ofEnvironment: environment[name] ?? "", for: key, source: source)
            try apply(key, raw, to: &configuration, source: source)
            sources[key.path] = source
        }

        for key in ConfigurationSchema.keys where key.required && key.render(configuration) == nil {
            throw ConfigurationError(
                code: .missingKey, key: key.path, allowed: key.kind.name, source: path,
                detail: "set it in the file or with \(key.environmentName)")
        }
        // In a cluster the store is how a node taking over finds the others' state: written often unless set.
        if configuration.cluster.id != nil, sources["pua.update_period"] == nil { configuration.pua.updatePeriod = 2 }
        try checkCombinations(configuration, sources: sources, path: path)
        return EffectiveConfiguration(configuration: configuration, sources: sources)
    }

    // MARK: - Values

    private static func rawValue(
        of value: TOMLValue, for key: ConfigurationKey, source: ConfigurationSource
    ) throws(ConfigurationError) -> ConfigurationKey.RawValue {
        switch (key.kind, value) {
        case (.string, .string(let text)):
            return .string(text)
        case (.integer, .integer(let number)):
            return .integer(number)
        case (.boolean, .boolean(let flag)):
            return .boolean(flag)
        case (.stringArray, .array(let elements)):
            var texts: [String] = []
            for element in elements {
                guard case .string(let text) = element else {
                    throw ConfigurationError(
                        code: .wrongType, key: key.path, value: "an array holding a \(element.typeName)",
                        allowed: key.kind.name, source: source.description)
                }
                texts.append(text)
            }
            return .strings(texts)
        default:
            throw ConfigurationError(
                code: .wrongType, key: key.path, value: "\(display(value, secret: key.secret)) (a \(value.typeName))",
                allowed: key.kind.name, source: source.description)
        }
    }

    private static func rawValue(
        ofEnvironment text: String, for key: ConfigurationKey, source: ConfigurationSource
    ) throws(ConfigurationError) -> ConfigurationKey.RawValue {
        switch key.kind {
        case .string:
            return .string(text)
        case .integer:
            guard let number = Int64(text.trimmingCharacters(in: .whitespaces)) else {
                throw ConfigurationError(
                    code: .wrongType, key: key.path, value: key.secret ? "****" : quote(text),
                    allowed: key.kind.name, source: source.description)
            }
            return .integer(number)
        case .boolean:
            switch text.lowercased() {
            case "true", "1", "yes", "on": return .boolean(true)
            case "false", "0", "no", "off": return .boolean(false)
            default:
                throw ConfigurationError(
                    code: .wrongType, key: key.path, value: quote(text),
                    allowed: "true/false, 1/0, yes/no or on/off", source: source.description)
            }
        case .stringArray:
            let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            return .strings(parts.filter { !$0.isEmpty })
        }
    }

    private static func apply(
        _ key: ConfigurationKey, _ raw: ConfigurationKey.RawValue, to configuration: inout LamplighterConfiguration,
        source: ConfigurationSource
    ) throws(ConfigurationError) {
        let shown = key.secret ? "****" : maskingURLPasswords(raw.display)
        if case .integer(let range) = key.kind, case .integer(let number) = raw, !range.contains(number) {
            throw ConfigurationError(
                code: .outOfRange, key: key.path, value: shown, allowed: key.kind.name, source: source.description)
        }
        do {
            try key.apply(&configuration, raw)
        } catch {
            throw ConfigurationError(
                code: error.code, key: key.path, value: shown, allowed: error.allowed, source: source.description,
                detail: error.detail)
        }
    }

    private static func checkCombinations(
        _ configuration: LamplighterConfiguration, sources: [String: ConfigurationSource], path: String
    ) throws(ConfigurationError) {
        if configuration.pua.minExpires > configuration.pua.defaultExpires {
            throw ConfigurationError(
                code: .outOfRange, key: "pua.min_expires", value: String(configuration.pua.minExpires),
                allowed: "at most pua.default_expires (\(configuration.pua.defaultExpires))",
                source: (sources["pua.min_expires"] ?? .defaultValue).description)
        }
        var seen: Set<SIPListenAddress> = []
        for address in configuration.sip.listen where !seen.insert(address).inserted {
            throw ConfigurationError(
                code: .invalidValue, key: "sip.listen", value: quote(address.description),
                allowed: "each address once", source: (sources["sip.listen"] ?? .defaultValue).description)
        }
        if configuration.cluster.id == nil {
            for key in ["cluster.sharing_tag", "cluster.backup_tags"] where sources[key] != nil {
                throw ConfigurationError(
                    code: .missingKey, key: "cluster.id", allowed: "an integer 1 to 65535",
                    source: (sources[key] ?? .defaultValue).description, detail: "\(key) needs cluster.id")
            }
        }
        let tls = configuration.sip.tls
        if (tls.certificateFile == nil) != (tls.privateKeyFile == nil) {
            throw ConfigurationError(
                code: .missingKey, key: tls.certificateFile == nil ? "sip.tls.certificate_file" : "sip.tls.private_key_file",
                allowed: "sip.tls.certificate_file and sip.tls.private_key_file together", source: path)
        }
        if configuration.sip.listen.contains(where: { $0.transport == .tls }), tls.certificateFile == nil {
            throw ConfigurationError(
                code: .missingKey, key: "sip.tls.certificate_file", allowed: "a certificate and key when sip.listen has a tls: address",
                source: path)
        }
        let auth = configuration.sip.auth
        if (auth.username == nil) != (auth.password == nil) {
            throw ConfigurationError(
                code: .missingKey, key: auth.username == nil ? "sip.auth.username" : "sip.auth.password",
                allowed: "sip.auth.username and sip.auth.password together", source: path)
        }
    }

    // MARK: - Messages

    private static func display(_ value: TOMLValue, secret: Bool) -> String {
        if secret { return "****" }
        switch value {
        case .string(let text): return maskingURLPasswords(quote(text))
        case .integer(let number): return String(number)
        case .float(let number): return String(number)
        case .boolean(let flag): return String(flag)
        case .array: return "an array"
        case .table: return "a table"
        }
    }

    /// Replaces the password of anything shaped `scheme://user:password@` with `****`, so an error about a
    /// malformed URL never shows its password.
    static func maskingURLPasswords(_ text: String) -> String {
        var result = ""
        var rest = Substring(text)
        while let schemeEnd = rest.range(of: "://") {
            result += rest[..<schemeEnd.upperBound]
            rest = rest[schemeEnd.upperBound...]
            let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "\"" || $0 == "?" } ?? rest.endIndex
            let authority = rest[..<authorityEnd]
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                result += authority[...colon] + "****" + authority[at...]
                rest = rest[authorityEnd...]
            }
        }
        return result + rest
    }

    /// "did you mean ...?" for a key within three edits of a known one.
    static func suggestion(for path: String) -> String {
        let scored = ConfigurationSchema.keys.map { ($0.path, editDistance(path, $0.path)) }
        if let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= 3 {
            return "did you mean '\(best.0)'?"
        }
        let section = path.split(separator: ".").first.map(String.init) ?? path
        let siblings = ConfigurationSchema.keys.map(\.path).filter { $0.hasPrefix(section + ".") }
        if siblings.isEmpty {
            let sections = Set(ConfigurationSchema.keys.compactMap { $0.path.split(separator: ".").first.map(String.init) })
            return "known sections: \(sections.sorted().joined(separator: ", "))"
        }
        return "known keys in [\(section)]: \(siblings.joined(separator: ", "))"
    }

    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8), b = Array(b.utf8)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    private static func reason(of error: Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
           let code = POSIXErrorCode(rawValue: Int32(underlying.code)) {
            return String(cString: strerror(code.rawValue))
        }
        if nsError.domain == NSCocoaErrorDomain, nsError.code == NSFileReadNoSuchFileError || nsError.code == NSFileNoSuchFileError {
            return "no such file"
        }
        return nsError.localizedDescription
    }
}
