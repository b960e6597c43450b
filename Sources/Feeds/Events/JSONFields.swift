import SIPCore

/// The fields of one event object, read one by one; every failure names the feed and the field.
struct JSONFields {
    let feed: FeedKind
    let fields: [String: JSONValue]
    /// Prefix for nested objects, e.g. `line.`.
    let path: String

    init(feed: FeedKind, fields: [String: JSONValue], path: String = "") {
        self.feed = feed
        self.fields = fields
        self.path = path
    }

    static let maximumStringLength = 1024

    private func fail(_ reason: FeedEventError.Reason, _ name: String, _ context: String) -> FeedEventError {
        FeedEventError(feed: feed, reason: reason, field: path + name, context: context)
    }

    private func value(_ name: String, required: Bool) throws(FeedEventError) -> JSONValue? {
        switch fields[name] {
        case nil, .null?:
            if required { throw fail(.missingField, name, "required field \(path + name) is missing") }
            return nil
        case let value?:
            return value
        }
    }

    func string(_ name: String, required: Bool = false) throws(FeedEventError) -> String? {
        guard let value = try value(name, required: required) else { return nil }
        guard case .string(let text) = value else {
            throw fail(.wrongType, name, "\(path + name) must be a string, not a \(value.typeName)")
        }
        guard text.utf8.count <= Self.maximumStringLength else {
            throw fail(.invalidValue, name, "\(path + name) has \(text.utf8.count) bytes (limit \(Self.maximumStringLength))")
        }
        if required, text.isEmpty { throw fail(.missingField, name, "\(path + name) is empty") }
        return text
    }

    /// A `sip:` or `sips:` URI, optionally in angle brackets.
    func sipURI(_ name: String, required: Bool = false) throws(FeedEventError) -> SIPURI? {
        guard var text = try string(name, required: required) else { return nil }
        if text.hasPrefix("<"), text.hasSuffix(">") { text = String(text.dropFirst().dropLast()) }
        let uri: SIPURI
        do {
            uri = try SIPURI(parsing: text)
        } catch {
            throw fail(.invalidURI, name, "\(path + name) \"\(text)\" is not a SIP URI: \(error)")
        }
        guard uri.scheme == .sip || uri.scheme == .sips else {
            throw fail(.invalidURI, name, "\(path + name) \"\(text)\" is not a sip: or sips: URI")
        }
        return uri
    }

    func number(_ name: String, in range: ClosedRange<Double>, required: Bool = false) throws(FeedEventError) -> Double? {
        guard let value = try value(name, required: required) else { return nil }
        guard case .number(let number) = value else {
            throw fail(.wrongType, name, "\(path + name) must be a number, not a \(value.typeName)")
        }
        guard range.contains(number) else {
            throw fail(.invalidValue, name, "\(path + name) \(number) is outside \(range.lowerBound)…\(range.upperBound)")
        }
        return number
    }

    func integer(_ name: String, in range: ClosedRange<Int>, required: Bool = false) throws(FeedEventError) -> Int? {
        guard let number = try number(name, in: Double(range.lowerBound)...Double(range.upperBound), required: required) else {
            return nil
        }
        guard number.rounded() == number else {
            throw fail(.wrongType, name, "\(path + name) must be a whole number, not \(number)")
        }
        return Int(number)
    }

    func object(_ name: String) throws(FeedEventError) -> JSONFields? {
        guard let value = try value(name, required: false) else { return nil }
        guard case .object(let fields) = value else {
            throw fail(.wrongType, name, "\(path + name) must be an object, not a \(value.typeName)")
        }
        return JSONFields(feed: feed, fields: fields, path: path + name + ".")
    }

    /// The event's order stamp (`timestamp`, `seq`).
    func order() throws(FeedEventError) -> EventOrder {
        EventOrder(
            timestamp: try number("timestamp", in: 0...1e11),
            seq: try integer("seq", in: 0...Int.max).map { UInt64($0) })
    }
}
