/// The Event header value (RFC 6665 §8.2.1), e.g. `presence`, `presence.winfo;id=7`, `dialog;sla`.
public struct SIPEventHeader: Hashable, Sendable, CustomStringConvertible {
    /// Event package, e.g. `presence`, `dialog`, `message-summary`.
    public var package: String
    /// Event templates after the package, e.g. `["winfo"]` for `presence.winfo`.
    public var templates: [String]
    /// Event parameters in wire form (e.g. `id`, or flags like `sla`).
    public var parameters: SIPParameters

    /// Creates an Event value.
    public init(package: String, templates: [String] = [], parameters: SIPParameters = []) {
        self.package = package
        self.templates = templates
        self.parameters = parameters
    }

    /// Full event type: package and templates joined by `.`.
    public var eventType: String { ([package] + templates).joined(separator: ".") }

    /// The `id` parameter.
    public var id: String? {
        get { parameters["id"] }
        set { parameters["id"] = newValue }
    }

    /// Parses an Event value. Throws `.invalidHeaderValue`.
    public init(parsing string: String) throws(SIPParseError) {
        var s = SIPScanner(string, what: "Event")
        s.skipLWS()
        guard let type = s.scanToken() else { throw s.error("missing event type") }
        let parts = type.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !parts.contains(where: \.isEmpty) else { throw s.error("invalid event type '\(type)'") }
        package = parts[0]
        templates = Array(parts.dropFirst())
        parameters = try s.scanParameters()
    }

    /// `package[.template];params`.
    public var description: String { eventType + parameters.headerParameterString }
}
