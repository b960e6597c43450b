import CLibXML2

/// A parsed libxml2 document and the few read helpers the presence parsers need.
///
/// Parsing never touches the network (`XML_PARSE_NONET`) and never expands external entities.
struct XMLTree {
    private let document: xmlDocPtr

    var documentPointer: xmlDocPtr { document }

    init(bytes: [UInt8]) throws(XMLParseError) {
        let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)
        let parsed: xmlDocPtr? = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                xmlReadMemory(chars.baseAddress, Int32(chars.count), "body.xml", nil, options)
            }
        }
        guard let parsed else {
            throw XMLParseError(code: .malformed, context: Self.lastErrorText())
        }
        document = parsed
    }

    func free() {
        xmlFreeDoc(document)
    }

    /// Parses `bytes` (at most `maximum`) and runs `body` on its root element, which must be `name` in
    /// `namespace` (prefixed or default); `what` names the document in errors.
    static func withRoot<T>(
        of bytes: [UInt8], maximum: Int, name: String, namespace: String, what: String,
        _ body: (xmlNodePtr) throws(XMLParseError) -> T
    ) throws(XMLParseError) -> T {
        guard bytes.count <= maximum else {
            throw XMLParseError(code: .tooLarge, context: "\(bytes.count) bytes, at most \(maximum)")
        }
        let document = try XMLTree(bytes: bytes)
        defer { document.free() }
        guard let root = document.root, Self.name(root) == name, Self.namespace(root) == namespace else {
            throw XMLParseError(code: .unexpectedDocument, context: "the root element is not \(what)")
        }
        return try body(root)
    }

    var root: xmlNodePtr? {
        xmlDocGetRootElement(document)
    }

    static func name(_ node: xmlNodePtr) -> String {
        node.pointee.name.map { String(cString: $0) } ?? ""
    }

    static func namespace(_ node: xmlNodePtr) -> String? {
        node.pointee.ns?.pointee.href.map { String(cString: $0) }
    }

    static func attribute(_ node: xmlNodePtr, _ name: String) -> String? {
        guard let value = xmlGetProp(node, name) else { return nil }
        defer { lamplighter_xmlFree(value) }
        return String(cString: value)
    }

    static func text(_ node: xmlNodePtr) -> String {
        guard let content = xmlNodeGetContent(node) else { return "" }
        defer { lamplighter_xmlFree(content) }
        return String(cString: content)
    }

    /// Element children with the given local name, in the parent's namespace or any.
    static func children(_ node: xmlNodePtr, named name: String) -> [xmlNodePtr] {
        var result: [xmlNodePtr] = []
        var child = node.pointee.children
        while let current = child {
            if current.pointee.type == XML_ELEMENT_NODE, Self.name(current) == name { result.append(current) }
            child = current.pointee.next
        }
        return result
    }

    static func lastErrorText() -> String {
        guard let error = xmlGetLastError(), let message = error.pointee.message else { return "not well-formed XML" }
        var text = String(cString: message)
        while text.last?.isWhitespace == true { text.removeLast() }
        return "line \(error.pointee.line): \(text)"
    }
}
