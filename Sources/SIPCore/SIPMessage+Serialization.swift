extension SIPRequest {
    /// The request on the wire: request line, headers with full names, a correct
    /// Content-Length (any Content-Length field in `headers` is ignored), CRLF, body.
    /// CR and LF inside names and values are replaced by spaces.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512 + body.count)
        SIPSerializer.appendSanitized(method.name, to: &out)
        out.append(0x20)
        SIPSerializer.appendSanitized(uri.description, to: &out)
        out.append(contentsOf: " SIP/2.0\r\n".utf8)
        SIPSerializer.appendHeadersAndBody(headers, body, to: &out)
        return out
    }
}

extension SIPResponse {
    /// The response on the wire; see `SIPRequest.serialized()`.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512 + body.count)
        out.append(contentsOf: "SIP/2.0 ".utf8)
        out.append(contentsOf: String(min(max(statusCode, 100), 699)).utf8)
        out.append(0x20)
        SIPSerializer.appendSanitized(reason, to: &out)
        out.append(contentsOf: "\r\n".utf8)
        SIPSerializer.appendHeadersAndBody(headers, body, to: &out)
        return out
    }
}

extension SIPMessage {
    /// The message on the wire.
    public func serialized() -> [UInt8] {
        switch self {
        case .request(let r): r.serialized()
        case .response(let r): r.serialized()
        }
    }
}

enum SIPSerializer {
    static func appendSanitized(_ s: String, to out: inout [UInt8]) {
        for c in s.utf8 {
            out.append(c == 0x0D || c == 0x0A ? 0x20 : c)
        }
    }

    static func appendHeadersAndBody(_ headers: SIPHeaders, _ body: [UInt8], to out: inout [UInt8]) {
        for f in headers.fields where f.name != "Content-Length" {
            appendSanitized(f.name, to: &out)
            out.append(contentsOf: ": ".utf8)
            appendSanitized(f.value, to: &out)
            out.append(contentsOf: "\r\n".utf8)
        }
        out.append(contentsOf: "Content-Length: ".utf8)
        out.append(contentsOf: String(body.count).utf8)
        out.append(contentsOf: "\r\n\r\n".utf8)
        out.append(contentsOf: body)
    }
}
