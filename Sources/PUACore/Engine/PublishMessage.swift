import SIPCore

/// Turns machine requests into SIP messages and SIP responses into machine replies: pure, no I/O.
public enum PublishMessage {
    /// Header fields the engine writes itself; extra headers may not carry them.
    /// (``SIPHeaders/Field`` expands compact forms, so `i` arrives here as `Call-ID`.)
    static let ownedHeaders: Set<String> = [
        "via", "from", "to", "call-id", "cseq", "max-forwards", "event", "expires", "sip-if-match",
        "content-type", "content-length", "authorization", "proxy-authorization",
    ]

    /// The PUBLISH for `request` of `record` (the endpoint adds Via and Max-Forwards).
    static func request(
        _ request: PublishRequest, record: PublicationRecord, event: String, userAgent: String
    ) -> SIPRequest {
        var headers = SIPHeaders()
        let uri = record.presentity.description
        headers.add("From", "<\(uri)>;tag=\(record.fromTag)")
        headers.add("To", "<\(uri)>")
        headers.add("Call-ID", record.callID)
        headers.add("CSeq", "\(record.cseq) PUBLISH")
        headers.add("Event", event)
        headers.add("Expires", String(request.expires))
        if let etag = request.ifMatch { headers.add("SIP-If-Match", etag) }
        for field in record.extraHeaders { headers.add(field.name, field.value) }
        headers.add("User-Agent", userAgent)
        if request.body != nil, let contentType = request.contentType { headers.add("Content-Type", contentType) }
        return SIPRequest(method: .publish, uri: record.presentity, headers: headers, body: request.body ?? [])
    }

    /// The reply as the machine needs it; unparseable numbers count as absent.
    static func reply(_ response: SIPResponse) -> PublishReply {
        PublishReply(
            statusCode: response.statusCode,
            etag: response.headers.first("SIP-ETag").flatMap { $0.isEmpty ? nil : $0 },
            expires: response.headers.first("Expires").flatMap(leadingInteger),
            minExpires: response.headers.first("Min-Expires").flatMap(leadingInteger),
            retryAfter: response.headers.first("Retry-After").flatMap(leadingInteger))
    }

    /// The decimal number a header value starts with (`Retry-After: 120 (maintenance);duration=60` is 120).
    static func leadingInteger(_ value: String) -> Int? {
        let digits = value.utf8.prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        guard !digits.isEmpty, digits.count <= 9 else { return nil }
        return Int(String(decoding: digits, as: UTF8.self))
    }

    /// Checks that an extra header field can be sent as given; returns what is wrong.
    static func problem(with field: SIPHeaders.Field) -> String? {
        let name = field.name.utf8
        if name.isEmpty || name.count > 64 { return "header name of \(name.count) bytes" }
        let tokenPunctuation = Set("-.!%*_+`'~".utf8)
        for byte in name where !(byte.isASCIIAlphanumeric || tokenPunctuation.contains(byte)) {
            return "header name \"\(field.name)\" is not a token"
        }
        if ownedHeaders.contains(field.name.lowercased()) { return "\(field.name) is written by the engine" }
        if field.value.utf8.count > 1024 { return "\(field.name) value of \(field.value.utf8.count) bytes (limit 1024)" }
        if field.value.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 }) {
            return "\(field.name) value contains CR, LF or NUL"
        }
        return nil
    }
}

extension UInt8 {
    fileprivate var isASCIIAlphanumeric: Bool {
        (self >= 0x30 && self <= 0x39) || (self >= 0x41 && self <= 0x5A) || (self >= 0x61 && self <= 0x7A)
    }
}
