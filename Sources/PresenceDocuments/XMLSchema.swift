import CLibXML2

/// An XML Schema (XSD) loaded with libxml2, for checking documents against the RFC schemas.
public final class XMLSchema: @unchecked Sendable {
    private let schema: xmlSchemaPtr

    /// Loads the schema at `path`; `xs:import`s resolve relative to it (no network).
    public init(path: String) throws(XMLParseError) {
        guard let context = xmlSchemaNewParserCtxt(path) else {
            throw XMLParseError(code: .malformed, context: "cannot open schema \(path)")
        }
        defer { xmlSchemaFreeParserCtxt(context) }
        guard let schema = xmlSchemaParse(context) else {
            throw XMLParseError(code: .malformed, context: "schema \(path): \(XMLTree.lastErrorText())")
        }
        self.schema = schema
    }

    deinit {
        xmlSchemaFree(schema)
    }

    /// Throws `.invalid` with libxml2's first complaint when `bytes` does not satisfy the schema.
    /// Validation is serialised: a libxml2 validation context is not shared between threads.
    public func validate(_ bytes: [UInt8]) throws(XMLParseError) {
        let tree = try XMLTree(bytes: bytes)
        defer { tree.free() }
        guard let context = xmlSchemaNewValidCtxt(schema) else {
            throw XMLParseError(code: .invalid, context: "cannot create a validation context")
        }
        defer { xmlSchemaFreeValidCtxt(context) }
        xmlResetLastError()
        let status = tree.validate(with: context)
        guard status == 0 else {
            throw XMLParseError(code: .invalid, context: XMLTree.lastErrorText())
        }
    }
}

extension XMLTree {
    func validate(with context: xmlSchemaValidCtxtPtr) -> Int32 {
        xmlSchemaValidateDoc(context, documentPointer)
    }
}
