/// A challenge (401/407) that ``DigestAuthenticator`` cannot or will not answer.
///
/// `context` names the request (method and Request-URI), the status and the realm; it never contains a
/// password.
public struct SIPAuthError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Why.
    public enum Code: Sendable, Equatable, Hashable, CustomStringConvertible {
        /// No configured credential answers `realm` (all are bound to other realms, or none is configured).
        case noCredentials(realm: String)
        /// The challenge's auth scheme is not Digest (e.g. Basic), and no Digest challenge was offered.
        case unsupportedScheme
        /// No offered Digest algorithm is supported (supported: MD5, SHA-256, SHA-512-256 and their `-sess`
        /// variants; a `-sess` one needs a qop, for the cnonce).
        case unsupportedAlgorithm
        /// The challenge offers only qop values other than `auth` and `auth-int`.
        case unsupportedQop
        /// The server challenged credentials we had just sent again: the same nonce, or a fresh nonce without
        /// `stale=true` (RFC 7616 §3.3: the username or password is wrong), or stale twice in a row.
        case rejected
        /// The 401/407 carries no (parsable) challenge, or a Digest challenge without realm or nonce.
        case malformedChallenge
        /// The request to retry cannot be retried: it has no valid CSeq, or its sequence number would overflow.
        case invalidRequest

        /// The code's name, with the realm for `noCredentials`.
        public var description: String {
            switch self {
            case .noCredentials(let realm): "noCredentials(realm \"\(realm)\")"
            case .unsupportedScheme: "unsupportedScheme"
            case .unsupportedAlgorithm: "unsupportedAlgorithm"
            case .unsupportedQop: "unsupportedQop"
            case .rejected: "rejected"
            case .malformedChallenge: "malformedChallenge"
            case .invalidRequest: "invalidRequest"
            }
        }
    }

    /// Why.
    public var code: Code
    /// The request (method, Request-URI), the response status and the challenge in question; never a password.
    public var context: String

    public init(code: Code, context: String) {
        self.code = code
        self.context = context
    }

    public var description: String { "\(code): \(context)" }
}
