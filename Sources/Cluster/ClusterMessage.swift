import Foundation
import PUACore

/// What the nodes of a cluster say on its Redis channel (`lamplighter:cluster:<id>`), as small JSON objects:
/// a publication changed at the server, or a node's heartbeat with the tags it holds.
public enum ClusterMessage: Sendable, Equatable {
    /// A node changed a publication (its new ETag, or its removal).
    case announcement(PublicationAnnouncement)
    /// A node is alive and holds `tags`.
    case heartbeat(node: String, tags: [String])

    /// The message could not be read: what was wrong.
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public var reason: String
        public var description: String { "cluster message rejected: \(reason)" }
    }

    /// Messages above this size are refused (a body of 64 KiB in base64 fits).
    public static let maximumSize = 96 * 1024

    struct Wire: Codable {
        var t: String
        var node: String
        var tags: [String]?
        var p: String?
        var e: String?
        var i: String?
        var etag: String?
        var granted: Int?
        var expires: Double?
        var v: UInt64?
        var tag: String?
        /// Body (base64), its type, and the source.
        var b: String?
        var ct: String?
        var src: String?
    }

    /// The JSON of the message.
    public func encoded() -> [UInt8] {
        let wire: Wire
        switch self {
        case .heartbeat(let node, let tags):
            wire = Wire(t: "hb", node: node, tags: tags)
        case .announcement(let a):
            switch a.change {
            case .published(let etag, let granted, let expiresAt):
                wire = Wire(t: "pub", node: a.node, p: a.key.presentity, e: a.key.event, i: a.key.id, etag: etag, granted: granted,
                            expires: expiresAt, v: a.version, tag: a.sharingTag, b: a.body.map { Data($0).base64EncodedString() },
                            ct: a.contentType, src: a.source?.rawValue)
            case .removed:
                wire = Wire(t: "del", node: a.node, p: a.key.presentity, e: a.key.event, i: a.key.id, v: a.version, tag: a.sharingTag)
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return Array((try? encoder.encode(wire)) ?? Data())
    }

    /// Reads a message; a malformed one throws ``Invalid`` naming what was wrong.
    public init(decoding bytes: [UInt8]) throws(Invalid) {
        guard bytes.count <= Self.maximumSize else { throw Invalid(reason: "\(bytes.count) bytes exceed \(Self.maximumSize)") }
        let wire: Wire
        do {
            wire = try JSONDecoder().decode(Wire.self, from: Data(bytes))
        } catch {
            throw Invalid(reason: "not a cluster message object: \(error)")
        }
        guard !wire.node.isEmpty else { throw Invalid(reason: "empty node") }
        switch wire.t {
        case "hb":
            self = .heartbeat(node: wire.node, tags: wire.tags ?? [])
        case "pub", "del":
            guard let presentity = wire.p, !presentity.isEmpty, let event = wire.e, !event.isEmpty else {
                throw Invalid(reason: "\(wire.t) without presentity or event")
            }
            let key = PublicationKey(presentity: presentity, event: event, id: wire.i ?? "")
            let change: PublicationAnnouncement.Change
            if wire.t == "del" {
                change = .removed
            } else {
                guard let etag = wire.etag, !etag.isEmpty, let granted = wire.granted, granted > 0, let expires = wire.expires else {
                    throw Invalid(reason: "pub without etag, granted or expires")
                }
                change = .published(etag: etag, grantedExpires: granted, expiresAt: expires)
            }
            var body: [UInt8]?
            if let encoded = wire.b {
                guard let data = Data(base64Encoded: encoded) else { throw Invalid(reason: "body is not base64") }
                body = Array(data)
            }
            self = .announcement(PublicationAnnouncement(
                key: key, change: change, version: wire.v, sharingTag: wire.tag, node: wire.node, body: body, contentType: wire.ct,
                source: wire.src.map(PublicationSource.init(rawValue:))))
        default:
            throw Invalid(reason: "unknown type \"\(wire.t)\"")
        }
    }
}
