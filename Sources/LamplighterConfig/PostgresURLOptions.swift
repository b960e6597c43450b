import Foundation

/// The libpq connection options a `database.url` may carry in its query (`?sslmode=verify-full&sslrootcert=...`),
/// checked when the configuration loads so a typo is an error naming it, not a connection failure later.
enum PostgresURLOptions {
    /// libpq's `sslmode` values.
    static let sslModes = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]
    /// Options that name a file the daemon must be able to read.
    static let files: Set = ["sslrootcert", "sslcert", "sslkey", "sslcrl"]
    /// Every option accepted.
    static let known: Set = files.union([
        "sslmode", "connect_timeout", "application_name", "target_session_attrs", "channel_binding",
        "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
    ])

    /// What is wrong with `query`, or nil.
    static func problem(in query: String?) -> String? {
        guard let query, !query.isEmpty else { return nil }
        var options: [String: String] = [:]
        for pair in query.split(separator: "&", omittingEmptySubsequences: false) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty,
                  let name = parts[0].removingPercentEncoding, let value = parts[1].removingPercentEncoding else {
                return "query option '\(pair)' is not name=value"
            }
            guard known.contains(name) else {
                return "unknown option '\(name)' (accepted: \(known.sorted().joined(separator: ", ")))"
            }
            guard options[name] == nil else { return "option '\(name)' given twice" }
            options[name] = value
        }
        if let mode = options["sslmode"], !sslModes.contains(mode) {
            return "sslmode '\(mode)' is not one of \(sslModes.joined(separator: ", "))"
        }
        for name in files.sorted() {
            guard let path = options[name] else { continue }
            guard FileManager.default.isReadableFile(atPath: path) else { return "\(name) '\(path)' is not a readable file" }
        }
        if let mode = options["sslmode"], mode.hasPrefix("verify-"), options["sslrootcert"] == nil {
            return "sslmode \(mode) verifies the server against sslrootcert: give the CA file"
        }
        if let timeout = options["connect_timeout"], Int(timeout).map({ $0 >= 0 }) != true {
            return "connect_timeout '\(timeout)' is not a number of seconds"
        }
        return nil
    }
}
