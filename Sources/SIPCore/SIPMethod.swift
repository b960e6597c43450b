/// A SIP request method (RFC 3261 §7.1 and extensions).
///
/// Methods are case-sensitive tokens: `SIPMethod("INVITE")` is `.invite`,
/// `SIPMethod("invite")` is `.extension("invite")`. Equality and hashing use
/// the wire name, so `.extension("INVITE") == .invite`.
public enum SIPMethod: Hashable, Sendable, CustomStringConvertible {
    case invite, ack, bye, cancel, options, register, publish, subscribe, notify, message, info, update, prack, refer
    /// Any other method token.
    case `extension`(String)

    /// Creates a method from its wire token (case-sensitive).
    public init(_ token: String) {
        switch token {
        case "INVITE": self = .invite
        case "ACK": self = .ack
        case "BYE": self = .bye
        case "CANCEL": self = .cancel
        case "OPTIONS": self = .options
        case "REGISTER": self = .register
        case "PUBLISH": self = .publish
        case "SUBSCRIBE": self = .subscribe
        case "NOTIFY": self = .notify
        case "MESSAGE": self = .message
        case "INFO": self = .info
        case "UPDATE": self = .update
        case "PRACK": self = .prack
        case "REFER": self = .refer
        default: self = .extension(token)
        }
    }

    /// The method token as it appears on the wire.
    public var name: String {
        switch self {
        case .invite: "INVITE"
        case .ack: "ACK"
        case .bye: "BYE"
        case .cancel: "CANCEL"
        case .options: "OPTIONS"
        case .register: "REGISTER"
        case .publish: "PUBLISH"
        case .subscribe: "SUBSCRIBE"
        case .notify: "NOTIFY"
        case .message: "MESSAGE"
        case .info: "INFO"
        case .update: "UPDATE"
        case .prack: "PRACK"
        case .refer: "REFER"
        case .extension(let token): token
        }
    }

    /// The wire name.
    public var description: String { name }

    /// Whether `name` is a non-empty RFC 3261 token (valid to send).
    public var isValidToken: Bool {
        let n = name
        return !n.isEmpty && n.utf8.allSatisfy(SIPLexer.isTokenChar)
    }

    public static func == (lhs: SIPMethod, rhs: SIPMethod) -> Bool { lhs.name == rhs.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}
