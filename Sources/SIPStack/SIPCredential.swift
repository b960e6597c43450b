/// A username and password for SIP digest authentication (RFC 3261 §22), optionally bound to one realm.
///
/// The password never appears in `description`, `debugDescription` or a `Mirror` (so not in `dump`,
/// string interpolation, logs or test failure messages).
public struct SIPCredential: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The digest `username`.
    public var username: String
    /// The password (secret).
    public var password: String
    /// The only realm these credentials answer; nil answers any realm.
    public var realm: String?

    /// Creates credentials; `realm` nil answers a challenge of any realm.
    public init(username: String, password: String, realm: String? = nil) {
        self.username = username
        self.password = password
        self.realm = realm
    }

    /// Whether these credentials may answer a challenge of `realm`.
    public func answers(realm challenged: String) -> Bool {
        realm == nil || realm == challenged
    }

    /// `alice (realm "example.com", password masked)`.
    public var description: String {
        "\(username) (\(realm.map { "realm \"\($0)\"" } ?? "any realm"), password masked)"
    }

    public var debugDescription: String { "SIPCredential(\(description))" }

    public var customMirror: Mirror {
        Mirror(self, children: ["username": username, "password": "<masked>", "realm": realm as Any], displayStyle: .struct)
    }
}
