/// A typed error from parsing a SIP message, URI or header value.
///
/// `code` says what kind of problem it is; `context` names what was wrong in
/// words suitable for a log line or a 400 reason phrase, for example
/// `"CSeq: method INVITE does not match request method OPTIONS"`.
public struct SIPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of parse failure.
    public enum Code: Sendable, Equatable, Hashable {
        /// The input is larger than `SIPLimits.maxMessageSize` (or a stream buffer exceeded its bound).
        case messageTooLarge
        /// More header fields than `SIPLimits.maxHeaderCount`.
        case tooManyHeaders
        /// A line (or unfolded header field) longer than `SIPLimits.maxLineLength`.
        case lineTooLong
        /// The body (by Content-Length or UDP rest) exceeds `SIPLimits.maxBodySize`.
        case bodyTooLarge
        /// Nothing but whitespace/CRLF (e.g. a keep-alive) where a message was expected.
        case emptyMessage
        /// The message ends before the empty line that terminates the header section.
        case truncatedMessage
        /// The start line is not a request line or a status line.
        case malformedStartLine
        /// The SIP-Version is not `SIP/2.0`.
        case invalidVersion
        /// The request method is not a token.
        case invalidMethod
        /// The status code is not three digits in 100...699.
        case invalidStatusCode
        /// A URI could not be parsed.
        case malformedURI
        /// A header line is not `name: value` with a token name, or a continuation line has no header.
        case malformedHeader
        /// A required header field is absent; the associated value is its name.
        case missingHeader(String)
        /// A single-valued header field appears more than once; the associated value is its name.
        case duplicateHeader(String)
        /// A header value does not match its grammar.
        case invalidHeaderValue
        /// The CSeq method differs from the request method.
        case cseqMethodMismatch
        /// Content-Length disagrees with the data (larger than the datagram, or conflicting values).
        case contentLengthMismatch
    }

    /// The kind of failure.
    public var code: Code
    /// What was wrong, naming the offending element.
    public var context: String

    /// Creates an error.
    public init(_ code: Code, _ context: String) {
        self.code = code
        self.context = context
    }

    /// `"<code>: <context>"`.
    public var description: String { "\(code): \(context)" }
}
