/// Pure HTTP Digest computations for SIP (RFC 2617, RFC 7616, RFC 8760).
public enum SIPDigest {
    /// Digest algorithms.
    public enum Algorithm: Hashable, Sendable, CaseIterable, CustomStringConvertible {
        case md5, md5Sess, sha256, sha256Sess, sha512_256, sha512_256Sess

        /// Parses an `algorithm` token (case-insensitive); nil if unsupported.
        public init?(_ token: String) {
            switch token.uppercased() {
            case "MD5": self = .md5
            case "MD5-SESS": self = .md5Sess
            case "SHA-256": self = .sha256
            case "SHA-256-SESS": self = .sha256Sess
            case "SHA-512-256": self = .sha512_256
            case "SHA-512-256-SESS": self = .sha512_256Sess
            default: return nil
            }
        }

        /// The `algorithm` token.
        public var name: String {
            switch self {
            case .md5: "MD5"
            case .md5Sess: "MD5-sess"
            case .sha256: "SHA-256"
            case .sha256Sess: "SHA-256-sess"
            case .sha512_256: "SHA-512-256"
            case .sha512_256Sess: "SHA-512-256-sess"
            }
        }

        public var description: String { name }

        /// Whether this is a `-sess` variant.
        public var isSession: Bool { self == .md5Sess || self == .sha256Sess || self == .sha512_256Sess }

        func hash(_ data: [UInt8]) -> [UInt8] {
            switch self {
            case .md5, .md5Sess: MD5.hash(data)
            case .sha256, .sha256Sess: SHA256.hash(data)
            case .sha512_256, .sha512_256Sess: SHA512.hash(data, iv: SHA512.iv512_256, outputBytes: 32)
            }
        }
    }

    private static let hexChars: [UInt8] = Array("0123456789abcdef".utf8)

    /// Lowercase hex of `bytes`.
    public static func hex(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(hexChars[Int(b >> 4)])
            out.append(hexChars[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Lowercase hex digest of `data` with `algorithm`'s hash function.
    public static func hexHash(_ algorithm: Algorithm, _ data: [UInt8]) -> String {
        hex(algorithm.hash(data))
    }

    /// Lowercase hex digest of a string's UTF-8 bytes.
    public static func hexHash(_ algorithm: Algorithm, _ string: String) -> String {
        hexHash(algorithm, Array(string.utf8))
    }

    /// Formats a nonce count as 8 lowercase hex digits (`00000001`).
    public static func formatNC(_ nc: UInt32) -> String {
        let h = String(nc, radix: 16)
        return String(repeating: "0", count: 8 - h.count) + h
    }

    /// The request-digest (`response` parameter), lowercase hex.
    ///
    /// - `qop` nil: RFC 2069 compatibility, `H(HA1:nonce:HA2)`.
    /// - `qop` `auth` / `auth-int`: `H(HA1:nonce:nc:cnonce:qop:HA2)`; `auth-int` hashes `body` into HA2.
    /// - `-sess` algorithms: `HA1 = H(H(user:realm:password):nonce:cnonce)`.
    public static func response(algorithm: Algorithm, username: String, realm: String, password: String,
                                method: String, uri: String, nonce: String, cnonce: String?, nc: String?,
                                qop: String?, body: [UInt8] = []) -> String {
        var ha1 = hexHash(algorithm, "\(username):\(realm):\(password)")
        if algorithm.isSession {
            ha1 = hexHash(algorithm, "\(ha1):\(nonce):\(cnonce ?? "")")
        }
        let ha2: String
        if let qop, qop.lowercased() == "auth-int" {
            ha2 = hexHash(algorithm, "\(method):\(uri):\(hexHash(algorithm, body))")
        } else {
            ha2 = hexHash(algorithm, "\(method):\(uri)")
        }
        if let qop {
            return hexHash(algorithm, "\(ha1):\(nonce):\(nc ?? "00000001"):\(cnonce ?? ""):\(qop):\(ha2)")
        }
        return hexHash(algorithm, "\(ha1):\(nonce):\(ha2)")
    }
}
