import Foundation
import PUACore

/// A publication as `GET /publications` and `GET /publications/{id}` show it.
public struct PublicationView: Sendable, Equatable, Codable {
    /// Opaque id for `GET /publications/{id}` (the key, base64url).
    public var id: String
    public var presentity: String
    public var event: String
    /// The publication id within the presentity and event (OpenSIPS `pres_id`); empty for feed publications.
    public var pubId: String
    /// `idle`, `publishing`, `published` or `failed`.
    public var state: String
    public var etag: String?
    /// End of the granted lifetime (seconds since 1970).
    public var expiresAt: Double?
    public var grantedExpires: Int?
    public var desiredExpires: Int?
    /// The dialog-info version the body carries.
    public var version: UInt64?
    public var contentType: String
    public var source: String
    public var sharingTag: String?
    /// An update waits for the reply of the PUBLISH in flight.
    public var pendingUpdate: Bool
    /// The last final reply: code (nil for a timeout or transport error), reason, when.
    public var lastReplyCode: Int?
    public var lastReplyReason: String?
    public var lastReplyAt: Double?
    /// The body as sent (only in the single-publication view).
    public var body: String?

    public init(_ snapshot: PublicationSnapshot, includeBody: Bool) {
        id = Self.id(of: snapshot.key)
        presentity = snapshot.key.presentity
        event = snapshot.key.event
        pubId = snapshot.key.id
        state = PublicationEngine.stateName(snapshot.state)
        etag = snapshot.etag
        expiresAt = snapshot.expiresAt
        grantedExpires = snapshot.grantedExpires
        desiredExpires = snapshot.desiredExpires
        version = snapshot.version
        contentType = snapshot.contentType
        source = snapshot.source.rawValue
        sharingTag = snapshot.sharingTag
        pendingUpdate = snapshot.hasPendingUpdate
        lastReplyCode = snapshot.lastReply?.statusCode
        lastReplyReason = snapshot.lastReply?.reason
        lastReplyAt = snapshot.lastReply?.receivedAt
        body = includeBody ? snapshot.body.map { String(decoding: $0, as: UTF8.self) } : nil
    }

    /// The key as an URL-safe id.
    public static func id(of key: PublicationKey) -> String {
        Data((key.presentity + "\n" + key.event + "\n" + key.id).utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The key of an id; nil when it is not one.
    public static func key(of id: String) -> PublicationKey? {
        guard id.count <= 4096 else { return nil }
        var base64 = id.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8) else { return nil }
        let parts = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        return PublicationKey(presentity: String(parts[0]), event: String(parts[1]), id: String(parts[2]))
    }
}

/// A page of `GET /publications`.
public struct PublicationPage: Sendable, Equatable, Codable {
    /// Publications matching the filters, in all.
    public var total: Int
    public var offset: Int
    public var limit: Int
    public var publications: [PublicationView]
}
