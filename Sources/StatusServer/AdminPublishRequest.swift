import Foundation
import PUACore
import SIPCore

/// `POST /publish`: `{"pres_uri": "sip:201@pbx", "event": "presence", "body": "<presence …>", "content_type":
/// "application/pidf+xml", "expires": 3600, "id": "away"}` (the pua_mi `pua_publish` fields). `body` and
/// `content_type` may be left out for a refresh or a removal (`expires` 0).
enum AdminPublishRequest {
    struct Invalid: Error {
        var field: String?
        var message: String
    }

    static let fields: Set = ["pres_uri", "event", "body", "content_type", "expires", "id"]

    static func parse(_ bytes: [UInt8]) throws(Invalid) -> PublishParameters {
        let object = try object(bytes, fields: fields)
        let presentity = try sipURI(object, "pres_uri")
        let event = try string(object, "event", required: true)!
        guard !event.isEmpty, event.count <= 64 else { throw Invalid(field: "event", message: "event must be 1 to 64 characters") }
        let body = try string(object, "body", required: false)
        let contentType = try string(object, "content_type", required: false)
        let id = try string(object, "id", required: false) ?? ""
        guard id.count <= 128 else { throw Invalid(field: "id", message: "id must be at most 128 characters") }
        return PublishParameters(
            presentity: presentity, event: event, id: id, body: body.map { Array($0.utf8) }, contentType: contentType,
            expires: try expires(object), source: .admin)
    }

    /// The body as a JSON object with only `fields`.
    static func object(_ bytes: [UInt8], fields: Set<String>) throws(Invalid) -> [String: Any] {
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
                throw Invalid(field: nil, message: "the body must be a JSON object")
            }
            object = parsed
        } catch let invalid as Invalid {
            throw invalid
        } catch {
            throw Invalid(field: nil, message: "the body is not JSON")
        }
        if let unknown = object.keys.sorted().first(where: { !fields.contains($0) }) {
            throw Invalid(field: unknown, message: "unknown field '\(unknown)' (accepted: \(fields.sorted().joined(separator: ", ")))")
        }
        return object
    }

    /// A required `sip:`/`sips:` URI field.
    static func sipURI(_ object: [String: Any], _ field: String) throws(Invalid) -> SIPURI {
        let text = try string(object, field, required: true)!
        let uri: SIPURI
        do {
            uri = try SIPURI(parsing: text)
        } catch {
            throw Invalid(field: field, message: "\(field) is not a SIP URI: \(error)")
        }
        guard uri.scheme == .sip || uri.scheme == .sips else { throw Invalid(field: field, message: "\(field) must be a sip: or sips: URI") }
        return uri
    }

    /// The optional `expires`: whole seconds 0…604800.
    static func expires(_ object: [String: Any]) throws(Invalid) -> Int? {
        guard let value = object["expires"] else { return nil }
        let whole = type(of: value) == Bool.self ? nil : (value as? Int) ?? (value as? Double).flatMap { Int(exactly: $0) }
        guard let whole, (0...604_800).contains(whole) else {
            throw Invalid(field: "expires", message: "expires must be a whole number of seconds from 0 to 604800")
        }
        return whole
    }

    static func string(_ object: [String: Any], _ field: String, required: Bool) throws(Invalid) -> String? {
        guard let value = object[field], !(value is NSNull) else {
            if required { throw Invalid(field: field, message: "\(field) is required") }
            return nil
        }
        guard let text = value as? String else { throw Invalid(field: field, message: "\(field) must be a string") }
        return text
    }
}
