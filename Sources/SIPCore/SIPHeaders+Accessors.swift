extension SIPHeaders {
    /// Parses a delta-seconds style integer at the start of `value` (after LWS);
    /// the digits must be followed by end, whitespace, `(` or `;`. Saturates at 2^32-1.
    static func leadingSeconds(_ value: String) -> Int? {
        let u = value.utf8
        var i = u.startIndex
        while i < u.endIndex, SIPLexer.isWS(u[i]) { i = u.index(after: i) }
        var n: UInt64 = 0
        var any = false
        while i < u.endIndex, SIPLexer.isDigit(u[i]) {
            n = Swift.min(n * 10 + UInt64(u[i] - 0x30), UInt64(UInt32.max))
            any = true
            i = u.index(after: i)
        }
        guard any else { return nil }
        if i < u.endIndex {
            let c = u[i]
            guard SIPLexer.isWS(c) || c == UInt8(ascii: "(") || c == UInt8(ascii: ";") else { return nil }
        }
        return Int(n)
    }

    private mutating func setOrRemove(_ name: String, _ value: String?) {
        if let value { set(name, value) } else { remove(name) }
    }

    /// Call-ID.
    public var callID: String? {
        get { first("Call-ID") }
        set { setOrRemove("Call-ID", newValue) }
    }

    /// CSeq.
    public var cseq: SIPCSeq? {
        get { first("CSeq").flatMap { try? SIPCSeq(parsing: $0) } }
        set { setOrRemove("CSeq", newValue?.description) }
    }

    /// From.
    public var from: SIPNameAddress? {
        get { first("From").flatMap { try? SIPNameAddress(parsing: $0, header: "From") } }
        set { setOrRemove("From", newValue?.description) }
    }

    /// To.
    public var to: SIPNameAddress? {
        get { first("To").flatMap { try? SIPNameAddress(parsing: $0, header: "To") } }
        set { setOrRemove("To", newValue?.description) }
    }

    /// All Via values, top first; unparsable values are skipped.
    public var vias: [SIPVia] {
        all("Via").compactMap { try? SIPVia(parsing: $0) }
    }

    /// The topmost Via value.
    public var topVia: SIPVia? {
        guard let v = all("Via").first else { return nil }
        return try? SIPVia(parsing: v)
    }

    /// Contact values (the `*` wildcard and unparsable values are skipped).
    public var contacts: [SIPNameAddress] {
        all("Contact").compactMap { try? SIPNameAddress(parsing: $0, header: "Contact") }
    }

    /// Route values.
    public var routes: [SIPNameAddress] {
        all("Route").compactMap { try? SIPNameAddress(parsing: $0, header: "Route") }
    }

    /// Record-Route values.
    public var recordRoutes: [SIPNameAddress] {
        all("Record-Route").compactMap { try? SIPNameAddress(parsing: $0, header: "Record-Route") }
    }

    /// Expires in seconds (saturating at 2^32-1); nil if absent or malformed.
    public var expires: Int? {
        get { first("Expires").flatMap(Self.leadingSeconds) }
        set { setOrRemove("Expires", newValue.map { String($0) }) }
    }

    /// Min-Expires in seconds.
    public var minExpires: Int? {
        get { first("Min-Expires").flatMap(Self.leadingSeconds) }
        set { setOrRemove("Min-Expires", newValue.map { String($0) }) }
    }

    /// Retry-After in seconds; a trailing comment and parameters are ignored.
    public var retryAfter: Int? {
        get { first("Retry-After").flatMap(Self.leadingSeconds) }
        set { setOrRemove("Retry-After", newValue.map { String($0) }) }
    }

    /// Max-Forwards (0...255); nil if absent, malformed or out of range.
    public var maxForwards: Int? {
        get {
            guard let v = first("Max-Forwards") else { return nil }
            return SIPLexer.parseDecimal(v.utf8, max: 255).map { Int($0) }
        }
        set { setOrRemove("Max-Forwards", newValue.map { String($0) }) }
    }

    /// Content-Length. Parsed messages do not keep this header (the body length is
    /// authoritative and the serializer always writes it); this reads a field only
    /// if one was added by hand.
    public var contentLength: Int? {
        guard let v = first("Content-Length") else { return nil }
        return SIPLexer.parseDecimal(v.utf8, max: UInt64(Int32.max)).map { Int($0) }
    }

    /// Content-Type.
    public var contentType: String? {
        get { first("Content-Type") }
        set { setOrRemove("Content-Type", newValue) }
    }

    /// SIP-ETag entity tag (RFC 3903).
    public var sipETag: String? {
        get { first("SIP-ETag").map { String(SIPLexer.trimWS(Substring($0))) } }
        set { setOrRemove("SIP-ETag", newValue) }
    }

    /// SIP-If-Match entity tag (RFC 3903).
    public var sipIfMatch: String? {
        get { first("SIP-If-Match").map { String(SIPLexer.trimWS(Substring($0))) } }
        set { setOrRemove("SIP-If-Match", newValue) }
    }

    /// Event.
    public var event: SIPEventHeader? {
        get { first("Event").flatMap { try? SIPEventHeader(parsing: $0) } }
        set { setOrRemove("Event", newValue?.description) }
    }

    /// Subscription-State.
    public var subscriptionState: SIPSubscriptionState? {
        get { first("Subscription-State").flatMap { try? SIPSubscriptionState(parsing: $0) } }
        set { setOrRemove("Subscription-State", newValue?.description) }
    }

    /// Allow-Events tokens.
    public var allowEvents: [String] { all("Allow-Events") }

    /// Allow method tokens.
    public var allow: [SIPMethod] { all("Allow").map { SIPMethod($0) } }

    /// Supported option tags.
    public var supported: [String] { all("Supported") }

    /// Require option tags.
    public var require: [String] { all("Require") }

    /// WWW-Authenticate challenges (unparsable values skipped).
    public var wwwAuthenticate: [SIPChallenge] {
        all("WWW-Authenticate").compactMap { try? SIPChallenge(parsing: $0) }
    }

    /// Proxy-Authenticate challenges (unparsable values skipped).
    public var proxyAuthenticate: [SIPChallenge] {
        all("Proxy-Authenticate").compactMap { try? SIPChallenge(parsing: $0) }
    }
}
