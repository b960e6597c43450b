/// An RFC 3842 message-summary body (message waiting indication).
public struct MessageSummaryDocument: Sendable, Equatable {
    /// The voicemail account (`Message-Account`).
    public var account: String
    public var newMessages: Int
    public var oldMessages: Int
    public var urgentNew: Int
    public var urgentOld: Int

    public init(account: String, newMessages: Int, oldMessages: Int, urgentNew: Int = 0, urgentOld: Int = 0) {
        self.account = account
        self.newMessages = newMessages
        self.oldMessages = oldMessages
        self.urgentNew = urgentNew
        self.urgentOld = urgentOld
    }

    /// The MIME type of the body.
    public static let contentType = "application/simple-message-summary"

    /// `Messages-Waiting: yes` when there are new messages (urgent ones included).
    public var messagesWaiting: Bool { newMessages > 0 || urgentNew > 0 }

    /// The body, CRLF line ends.
    public func text() -> String {
        "Messages-Waiting: \(messagesWaiting ? "yes" : "no")\r\n"
            + "Message-Account: \(account)\r\n"
            + "Voice-Message: \(max(0, newMessages))/\(max(0, oldMessages)) (\(max(0, urgentNew))/\(max(0, urgentOld)))\r\n"
    }
}
