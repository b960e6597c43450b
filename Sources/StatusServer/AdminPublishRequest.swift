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
        let uri = try string(object, "pres_uri", required: true)!
        let presentity: SIPURI
        do {
            presentity = try SIPURI(parsing: uri)
        } catch {
            throw Invalid(field: "pres_uri", message: "pres_uri is not a SIP URI: \(error)")
        }
        guard presentity.scheme == .sip || presentity.scheme == .sips else {
            throw Invalid(field: "pres_uri", message: "pres_uri must be a sip: or sips: URI")
        }
        let event = try string(object, "event", required: true)!
        guard !event.isEmpty, event.count <= 64 else { throw Invalid(field: "event", message: "event must be 1 to 64 characters") }
        let body = try string(object, "body", required: false)
        let contentType = try string(object, "content_type", required: false)
        let id = try string(object, "id", required: false) ?? ""
        guard id.count <= 128 else { throw Invalid(field: "id", message: "id must be at most 128 characters") }
        var expires: Int?
        if let value = object["expires"] {
            let whole = type(of: value) == Bool.self ? nil : (value as? Int) ?? (value as? Double).flatMap { Int(exactly: $0) }
            guard let whole, (0...604_800).contains(whole) else {
                throw Invalid(field: "expires", message: "expires must be a whole number of seconds from 0 to 604800")
            }
            expires = whole
        }
        return PublishParameters(
            presentity: presentity, event: event, id: id, body: body.map { Array($0.utf8) }, contentType: contentType,
            expires: expires, source: .admin)
    }

    private static func string(_ object: [String: Any], _ field: String, required: Bool) throws(Invalid) -> String? {
        guard let value = object[field], !(value is NSNull) else {
            if required { throw Invalid(field: field, message: "\(field) is required") }
            return nil
        }
        guard let text = value as? String else { throw Invalid(field: field, message: "\(field) must be a string") }
        return text
    }
}
