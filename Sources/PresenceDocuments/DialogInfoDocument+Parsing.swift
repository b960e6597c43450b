import CLibXML2

extension DialogInfoDocument {
    /// The largest body parsed.
    public static let maximumBodySize = 64 * 1024

    /// Parses an RFC 4235 dialog-info body (prefixed or default namespace) with libxml2, network access off:
    /// the entity, version and each dialog's ids, direction, state, duration, and local and remote parties.
    public init(parsing bytes: [UInt8]) throws(XMLParseError) {
        self = try XMLTree.withRoot(
            of: bytes, maximum: Self.maximumBodySize, name: "dialog-info", namespace: "urn:ietf:params:xml:ns:dialog-info",
            what: "an RFC 4235 <dialog-info>", Self.init(root:))
    }

    private init(root: xmlNodePtr) throws(XMLParseError) {
        guard let entity = XMLTree.attribute(root, "entity") else {
            throw XMLParseError(code: .unexpectedDocument, context: "<dialog-info> has no entity attribute")
        }
        guard let versionText = XMLTree.attribute(root, "version"), let version = UInt64(versionText.trimmingSpaces()) else {
            throw XMLParseError(code: .unexpectedDocument, context: "<dialog-info> has no numeric version attribute")
        }
        var dialogs: [Dialog] = []
        for node in XMLTree.children(root, named: "dialog") {
            guard let id = XMLTree.attribute(node, "id") else {
                throw XMLParseError(code: .unexpectedDocument, context: "a <dialog> has no id")
            }
            let stateText = XMLTree.children(node, named: "state").first.map { XMLTree.text($0).trimmingSpaces() }
            guard let stateText, let state = State(rawValue: stateText) else {
                throw XMLParseError(code: .unexpectedDocument, context: "dialog '\(id)' has no state of \(State.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            dialogs.append(Dialog(
                id: id, callID: XMLTree.attribute(node, "call-id"), localTag: XMLTree.attribute(node, "local-tag"),
                remoteTag: XMLTree.attribute(node, "remote-tag"),
                direction: XMLTree.attribute(node, "direction").flatMap(Direction.init(rawValue:)), state: state,
                duration: XMLTree.children(node, named: "duration").first.flatMap { Int(XMLTree.text($0).trimmingSpaces()) },
                local: XMLTree.children(node, named: "local").first.map(Self.participant),
                remote: XMLTree.children(node, named: "remote").first.map(Self.participant)))
        }
        self.init(entity: entity, version: version, dialogs: dialogs)
    }

    private static func participant(_ node: xmlNodePtr) -> Participant {
        let identity = XMLTree.children(node, named: "identity").first
        let target = XMLTree.children(node, named: "target").first
        return Participant(
            identity: identity.map { XMLTree.text($0).trimmingSpaces() } ?? "",
            displayName: identity.flatMap { XMLTree.attribute($0, "display-name") },
            target: target.flatMap { XMLTree.attribute($0, "uri") },
            targetParameters: target.map { XMLTree.children($0, named: "param") }?.compactMap { param in
                guard let name = XMLTree.attribute(param, "pname"), let value = XMLTree.attribute(param, "pval") else { return nil }
                return (name, value)
            } ?? [])
    }
}
