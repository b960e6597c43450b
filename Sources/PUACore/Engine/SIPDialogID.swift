/// Identifies a SIP dialog (RFC 3261 §12): Call-ID and the two tags, as seen from this agent.
public struct SIPDialogID: Sendable, Hashable, CustomStringConvertible {
    public var callID: String
    /// This agent's tag (the From tag of its requests).
    public var localTag: String
    /// The peer's tag (the To tag of its replies).
    public var remoteTag: String

    public init(callID: String, localTag: String, remoteTag: String) {
        self.callID = callID
        self.localTag = localTag
        self.remoteTag = remoteTag
    }

    public var description: String { "\(callID);local=\(localTag);remote=\(remoteTag)" }
}
