/// Resource bounds the parser and the stream framer enforce on untrusted input.
public struct SIPLimits: Sendable, Equatable {
    /// Largest accepted message (start line + headers + body) in bytes; also the stream buffer bound.
    public var maxMessageSize: Int
    /// Largest accepted number of header fields (after unfolding, before comma splitting).
    public var maxHeaderCount: Int
    /// Longest accepted line, and longest unfolded header field, in bytes.
    public var maxLineLength: Int
    /// Largest accepted body in bytes.
    public var maxBodySize: Int

    /// Creates limits.
    public init(maxMessageSize: Int = 65535, maxHeaderCount: Int = 256, maxLineLength: Int = 8192, maxBodySize: Int = 65535) {
        self.maxMessageSize = maxMessageSize
        self.maxHeaderCount = maxHeaderCount
        self.maxLineLength = maxLineLength
        self.maxBodySize = maxBodySize
    }

    /// 65535-byte messages, 256 headers, 8192-byte lines, 65535-byte bodies.
    public static let `default` = SIPLimits()
}
