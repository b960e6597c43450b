/// A SIP request or response.
public enum SIPMessage: Sendable, Equatable, Hashable {
    case request(SIPRequest)
    case response(SIPResponse)

    /// The header fields.
    public var headers: SIPHeaders {
        get {
            switch self {
            case .request(let r): r.headers
            case .response(let r): r.headers
            }
        }
        set {
            switch self {
            case .request(var r): r.headers = newValue; self = .request(r)
            case .response(var r): r.headers = newValue; self = .response(r)
            }
        }
    }

    /// The body octets.
    public var body: [UInt8] {
        switch self {
        case .request(let r): r.body
        case .response(let r): r.body
        }
    }

    /// The request, if this is one.
    public var request: SIPRequest? {
        if case .request(let r) = self { return r }
        return nil
    }

    /// The response, if this is one.
    public var response: SIPResponse? {
        if case .response(let r) = self { return r }
        return nil
    }
}
