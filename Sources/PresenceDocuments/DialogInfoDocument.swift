/// An RFC 4235 dialog-info document (BLF; with line appearances for `dialog;sla`), written in the default
/// namespace by string with escaping, as phones parse it naively.
public struct DialogInfoDocument: Sendable, Equatable {
    /// `<state>` values (RFC 4235 §3.7.1).
    public enum State: String, Sendable, Equatable, CaseIterable {
        case trying, proceeding, early, confirmed, terminated
    }

    /// Who started the dialog, seen from the presentity.
    public enum Direction: String, Sendable, Equatable {
        /// The presentity called.
        case initiator
        /// The presentity was called.
        case recipient
    }

    /// `<local>` or `<remote>`.
    public struct Participant: Sendable, Equatable {
        /// `<identity>`: the participant's AOR.
        public var identity: String
        /// `display-name` of the identity.
        public var displayName: String?
        /// `<target uri=…>`: the device's contact.
        public var target: String?
        /// `<param pname pval>` children of the target (e.g. `x-line-index` for shared lines).
        public var targetParameters: [(name: String, value: String)]

        public init(identity: String, displayName: String? = nil, target: String? = nil, targetParameters: [(name: String, value: String)] = []) {
            self.identity = identity
            self.displayName = displayName
            self.target = target
            self.targetParameters = targetParameters
        }

        public static func == (a: Participant, b: Participant) -> Bool {
            a.identity == b.identity && a.displayName == b.displayName && a.target == b.target
                && a.targetParameters.map(\.name) == b.targetParameters.map(\.name)
                && a.targetParameters.map(\.value) == b.targetParameters.map(\.value)
        }
    }

    /// One `<dialog>`.
    public struct Dialog: Sendable, Equatable {
        /// `id` (required).
        public var id: String
        /// `call-id`, when the options include it.
        public var callID: String?
        /// `local-tag` and `remote-tag`, when the options include tags.
        public var localTag: String?
        public var remoteTag: String?
        public var direction: Direction?
        public var state: State
        /// `<duration>` in seconds.
        public var duration: Int?
        public var local: Participant?
        public var remote: Participant?

        public init(
            id: String, callID: String? = nil, localTag: String? = nil, remoteTag: String? = nil, direction: Direction? = nil,
            state: State, duration: Int? = nil, local: Participant? = nil, remote: Participant? = nil
        ) {
            self.id = id
            self.callID = callID
            self.localTag = localTag
            self.remoteTag = remoteTag
            self.direction = direction
            self.state = state
            self.duration = duration
            self.local = local
            self.remote = remote
        }
    }

    /// The presentity URI (`entity`).
    public var entity: String
    /// `version`; the publication engine sets it to the publication's next version before sending.
    public var version: UInt64
    /// Dialogs in order; none is an idle presentity.
    public var dialogs: [Dialog]

    public init(entity: String, version: UInt64 = 0, dialogs: [Dialog]) {
        self.entity = entity
        self.version = version
        self.dialogs = dialogs
    }

    /// The MIME type of the body.
    public static let contentType = "application/dialog-info+xml"

    /// The document as UTF-8 XML (state is always `full`).
    public func xml() -> String {
        var text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        text += "<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\" version=\"\(version)\" state=\"full\" entity=\"\(XMLEscaping.escape(entity))\">\n"
        for dialog in dialogs {
            text += "<dialog id=\"\(XMLEscaping.escape(dialog.id))\""
            if let callID = dialog.callID { text += " call-id=\"\(XMLEscaping.escape(callID))\"" }
            if let tag = dialog.localTag { text += " local-tag=\"\(XMLEscaping.escape(tag))\"" }
            if let tag = dialog.remoteTag { text += " remote-tag=\"\(XMLEscaping.escape(tag))\"" }
            if let direction = dialog.direction { text += " direction=\"\(direction.rawValue)\"" }
            text += "><state>\(dialog.state.rawValue)</state>"
            if let duration = dialog.duration { text += "<duration>\(max(0, duration))</duration>" }
            if let local = dialog.local { text += Self.participant("local", local) }
            if let remote = dialog.remote { text += Self.participant("remote", remote) }
            text += "</dialog>\n"
        }
        text += "</dialog-info>\n"
        return text
    }

    private static func participant(_ element: String, _ participant: Participant) -> String {
        var text = "<\(element)><identity"
        if let display = participant.displayName { text += " display-name=\"\(XMLEscaping.escape(display))\"" }
        text += ">\(XMLEscaping.escape(participant.identity))</identity>"
        if let target = participant.target {
            text += "<target uri=\"\(XMLEscaping.escape(target))\""
            if participant.targetParameters.isEmpty {
                text += "/>"
            } else {
                text += ">"
                for parameter in participant.targetParameters {
                    text += "<param pname=\"\(XMLEscaping.escape(parameter.name))\" pval=\"\(XMLEscaping.escape(parameter.value))\"/>"
                }
                text += "</target>"
            }
        }
        return text + "</\(element)>"
    }
}
