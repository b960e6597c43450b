/// The last final reply a publication got, as shown to operators.
public struct PublicationReply: Sendable, Equatable {
    /// SIP status code; nil when no reply came (timeout, transport error).
    public var statusCode: Int?
    /// Reason phrase, or what went wrong when there was no reply.
    public var reason: String
    /// Wall-clock time of the reply, seconds since 1970 (survives restarts, unlike the monotonic clock).
    public var receivedAt: Double

    public init(statusCode: Int?, reason: String, receivedAt: Double) {
        self.statusCode = statusCode
        self.reason = reason
        self.receivedAt = receivedAt
    }
}
