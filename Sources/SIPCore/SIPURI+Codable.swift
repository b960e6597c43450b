/// A URI encodes as its text (`sip:alice@example.com;transport=tcp`) and decodes by parsing it.
extension SIPURI: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try SIPURI(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a SIP URI: \(error)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
