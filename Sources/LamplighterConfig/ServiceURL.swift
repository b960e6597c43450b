import Foundation

/// A parsed `postgresql://` or `redis://` URL: `scheme://[user[:password]@]host[:port][/path][?query]`.
///
/// The password is kept for connecting and masked in ``masked``; it is never part of ``description``.
public struct ServiceURL: Sendable, Equatable, CustomStringConvertible {
    /// Lower-cased scheme.
    public var scheme: String
    /// User name, percent-decoded.
    public var user: String?
    /// Password, percent-decoded. Never log it.
    public var password: String?
    /// Host name or address, without brackets.
    public var host: String
    /// Port, when given.
    public var port: Int?
    /// Path without the leading `/` (the database name, or the Redis database number).
    public var path: String
    /// The query string (libpq options such as `sslmode=require`).
    public var query: String?
    /// The URL exactly as configured, for handing to libpq.
    public let original: String

    /// Parses `text`; the error says what part is malformed.
    public init(parsing text: String, schemes: Set<String>) throws(ServiceURLError) {
        original = text
        guard let schemeEnd = text.range(of: "://") else {
            throw ServiceURLError(reason: "missing '://' after the scheme")
        }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard schemes.contains(scheme) else {
            throw ServiceURLError(reason: "scheme '\(scheme)' is not one of \(schemes.sorted().joined(separator: ", "))")
        }
        self.scheme = scheme
        var rest = text[schemeEnd.upperBound...]
        if let question = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: question)...])
            rest = rest[..<question]
        } else {
            query = nil
        }
        let authority: Substring
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            path = String(rest[rest.index(after: slash)...])
        } else {
            authority = rest
            path = ""
        }
        var hostPart = authority
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            hostPart = authority[authority.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                user = try Self.decode(userInfo[..<colon], "user name")
                password = try Self.decode(userInfo[userInfo.index(after: colon)...], "password")
            } else {
                user = try Self.decode(userInfo, "user name")
                password = nil
            }
        } else {
            user = nil
            password = nil
        }
        if hostPart.hasPrefix("[") {
            guard let close = hostPart.firstIndex(of: "]") else { throw ServiceURLError(reason: "unclosed '[' in the host") }
            host = String(hostPart[hostPart.index(after: hostPart.startIndex)..<close])
            let after = hostPart[hostPart.index(after: close)...]
            if after.isEmpty {
                port = nil
            } else if after.hasPrefix(":"), let number = Int(after.dropFirst()), (1...65535).contains(number) {
                port = number
            } else {
                throw ServiceURLError(reason: "port '\(after.dropFirst())' is not a number from 1 to 65535")
            }
        } else if let colon = hostPart.lastIndex(of: ":") {
            host = String(hostPart[..<colon])
            let portText = hostPart[hostPart.index(after: colon)...]
            guard let number = Int(portText), (1...65535).contains(number) else {
                throw ServiceURLError(reason: "port '\(portText)' is not a number from 1 to 65535")
            }
            port = number
        } else {
            host = String(hostPart)
            port = nil
        }
        guard !host.isEmpty else { throw ServiceURLError(reason: "the host is missing") }
        guard host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" || $0 == "_" }) else {
            throw ServiceURLError(reason: "host '\(host)' has characters a host name cannot have")
        }
    }

    private static func decode(_ part: Substring, _ what: String) throws(ServiceURLError) -> String {
        guard let decoded = String(part).removingPercentEncoding else {
            throw ServiceURLError(reason: "bad percent-encoding in the \(what)")
        }
        return decoded
    }

    /// The URL with the password replaced by `****`: safe to print and log.
    public var masked: String {
        var text = "\(scheme)://"
        if let user {
            text += user.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed) ?? user
            if password != nil { text += ":****" }
            text += "@"
        }
        text += host.contains(":") ? "[\(host)]" : host
        if let port { text += ":\(port)" }
        if !path.isEmpty { text += "/\(path)" }
        if let query { text += "?\(query)" }
        return text
    }

    public var description: String { masked }
}

/// Why a service URL could not be parsed.
public struct ServiceURLError: Error, Sendable, Equatable {
    /// The malformed part, in words.
    public var reason: String
}
