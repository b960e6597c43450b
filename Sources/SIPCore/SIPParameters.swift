/// An ordered list of parameters with case-insensitive name lookup.
///
/// Order and duplicates are preserved. Header-field parameter values keep
/// their wire form (a quoted-string keeps its quotes); URI parameter values
/// are percent-decoded.
public struct SIPParameters: Hashable, Sendable, RandomAccessCollection, ExpressibleByArrayLiteral {
    /// The parameters in order.
    public var items: [SIPParameter]

    /// Creates an empty list.
    public init() { items = [] }

    /// Creates a list from parameters.
    public init(_ items: [SIPParameter]) { self.items = items }

    public init(arrayLiteral elements: SIPParameter...) { items = elements }

    public var startIndex: Int { items.startIndex }
    public var endIndex: Int { items.endIndex }
    public subscript(position: Int) -> SIPParameter { items[position] }

    /// Whether a parameter named `name` (case-insensitive) is present.
    public func contains(_ name: String) -> Bool {
        items.contains { SIPLexer.equalsIgnoringCase($0.name, name) }
    }

    /// The value of the first parameter named `name`; nil if absent or valueless.
    /// Setting replaces the first occurrence (removing the others) or appends; setting nil removes.
    /// Use `set(_:_:)` to store a flag parameter without a value.
    public subscript(name: String) -> String? {
        get { items.first { SIPLexer.equalsIgnoringCase($0.name, name) }?.value }
        set {
            if let newValue { set(name, newValue) } else { remove(name) }
        }
    }

    /// Replaces the first parameter named `name` (removing later duplicates) or appends it.
    public mutating func set(_ name: String, _ value: String?) {
        if let i = items.firstIndex(where: { SIPLexer.equalsIgnoringCase($0.name, name) }) {
            items[i] = SIPParameter(name, value)
            var j = items.count - 1
            while j > i {
                if SIPLexer.equalsIgnoringCase(items[j].name, name) { items.remove(at: j) }
                j -= 1
            }
        } else {
            items.append(SIPParameter(name, value))
        }
    }

    /// Appends a parameter (duplicates allowed).
    public mutating func append(_ name: String, _ value: String?) {
        items.append(SIPParameter(name, value))
    }

    /// Removes every parameter named `name`.
    public mutating func remove(_ name: String) {
        items.removeAll { SIPLexer.equalsIgnoringCase($0.name, name) }
    }

    /// `;name=value` for each parameter, values written as stored.
    var headerParameterString: String {
        var s = ""
        for p in items {
            s += ";"
            s += p.name
            if let v = p.value {
                s += "="
                s += v
            }
        }
        return s
    }
}
