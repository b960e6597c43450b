import CLibXML2

extension PIDFDocument {
    /// The largest body parsed.
    public static let maximumBodySize = 64 * 1024

    /// Parses a PIDF body (prefixed or default namespace) with libxml2, network access off.
    public init(parsing bytes: [UInt8]) throws(XMLParseError) {
        self = try XMLTree.withRoot(
            of: bytes, maximum: Self.maximumBodySize, name: "presence", namespace: "urn:ietf:params:xml:ns:pidf", what: "a PIDF <presence>",
            Self.init(root:))
    }

    private init(root: xmlNodePtr) throws(XMLParseError) {
        guard let entity = XMLTree.attribute(root, "entity") else {
            throw XMLParseError(code: .unexpectedDocument, context: "<presence> has no entity attribute")
        }
        var tuples: [Tuple] = []
        for tupleNode in XMLTree.children(root, named: "tuple") {
            let id = XMLTree.attribute(tupleNode, "id") ?? ""
            let status = XMLTree.children(tupleNode, named: "status").first
            let basicText = status.flatMap { XMLTree.children($0, named: "basic").first }.map(XMLTree.text)
            guard let basicText, let basic = Basic(rawValue: basicText.trimmingSpaces()) else {
                throw XMLParseError(code: .unexpectedDocument, context: "tuple '\(id)' has no basic status of open or closed")
            }
            let contact = XMLTree.children(tupleNode, named: "contact").first.map(XMLTree.text)
            let note = XMLTree.children(tupleNode, named: "note").first.map(XMLTree.text)
            tuples.append(Tuple(id: id, basic: basic, contact: contact, note: note))
        }
        self.init(entity: entity, tuples: tuples)
    }
}

extension String {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while scalars.first?.isWhitespace == true { scalars.removeFirst() }
        while scalars.last?.isWhitespace == true { scalars.removeLast() }
        return String(scalars)
    }
}
