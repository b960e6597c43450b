import Foundation
import PUACore
import SIPCore

/// `POST /subscribe`: `{"pres_uri": "sip:201@pbx", "watcher_uri": "sip:gw@127.0.0.1", "event": "presence",
/// "expires": 3600, "id": "gw-201"}` (the pua_mi `pua_subscribe` fields). Without `id`, the subscription is
/// known by watcher, resource and event; `expires` 0 ends it.
enum AdminSubscribeRequest {
    static let fields: Set = ["pres_uri", "watcher_uri", "event", "expires", "id"]

    static func parse(_ bytes: [UInt8]) throws(AdminPublishRequest.Invalid) -> SubscribeParameters {
        let object = try AdminPublishRequest.object(bytes, fields: fields)
        let resource = try AdminPublishRequest.sipURI(object, "pres_uri")
        let watcher = try AdminPublishRequest.sipURI(object, "watcher_uri")
        let event = try AdminPublishRequest.string(object, "event", required: true)!
        guard !event.isEmpty, event.count <= 64 else {
            throw AdminPublishRequest.Invalid(field: "event", message: "event must be 1 to 64 characters")
        }
        let expires = try AdminPublishRequest.expires(object)
        let id = try AdminPublishRequest.string(object, "id", required: false) ?? "\(watcher) \(resource) \(event)"
        guard !id.isEmpty, id.count <= 256 else { throw AdminPublishRequest.Invalid(field: "id", message: "id must be 1 to 256 characters") }
        return SubscribeParameters(id: id, resource: resource, watcher: watcher, event: event, expires: expires, source: .admin)
    }
}
