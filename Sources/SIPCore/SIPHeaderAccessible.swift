/// Anything with SIP header fields; provides typed accessors
/// (`callID`, `cseq`, `from`, `to`, `vias`, `topVia`, ...) to requests,
/// responses and messages. The accessors return nil when the header is
/// absent or does not parse.
public protocol SIPHeaderAccessible {
    /// The header fields.
    var headers: SIPHeaders { get }
}

extension SIPRequest: SIPHeaderAccessible {}
extension SIPResponse: SIPHeaderAccessible {}
extension SIPMessage: SIPHeaderAccessible {}

extension SIPHeaderAccessible {
    /// Call-ID value.
    public var callID: String? { headers.callID }
    /// Parsed CSeq.
    public var cseq: SIPCSeq? { headers.cseq }
    /// Parsed From.
    public var from: SIPNameAddress? { headers.from }
    /// Parsed To.
    public var to: SIPNameAddress? { headers.to }
    /// All Via values, top first (unparsable values skipped).
    public var vias: [SIPVia] { headers.vias }
    /// The topmost Via.
    public var topVia: SIPVia? { headers.topVia }
    /// Parsed Contact values (`*` and unparsable values skipped).
    public var contacts: [SIPNameAddress] { headers.contacts }
    /// Expires in seconds.
    public var expires: Int? { headers.expires }
    /// Parsed Event header.
    public var event: SIPEventHeader? { headers.event }
    /// Parsed Subscription-State header.
    public var subscriptionState: SIPSubscriptionState? { headers.subscriptionState }
    /// Content-Type value.
    public var contentType: String? { headers.contentType }
}
