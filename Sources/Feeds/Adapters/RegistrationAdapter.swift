import Foundation
import PUACore
import PresenceDocuments
import SIPCore

/// Registrations to presence (OpenSIPS `pua_usrloc`, done right): keeps the live contacts of each AOR and
/// publishes one PIDF per AOR: `open` with a tuple per contact while any is registered, `closed` once the
/// last one is deleted, expired by event, or silently past its expiry. Pure: events and checks in, actions
/// out; time (wall clock seconds) is injected.
public struct RegistrationAdapter: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// Publication lifetimes are kept within `minExpires…defaultExpires` (`pua.min_expires`, `pua.default_expires`).
        public var minExpires: Int
        public var defaultExpires: Int
        /// How long the order stamp of a deleted contact is kept, so a late insert cannot bring it back.
        public var tombstoneLifetime: Double

        public init(minExpires: Int = 60, defaultExpires: Int = 3600, tombstoneLifetime: Double = 3600) {
            self.minExpires = minExpires
            self.defaultExpires = defaultExpires
            self.tombstoneLifetime = tombstoneLifetime
        }
    }

    struct Contact: Sendable, Equatable, Codable {
        var uri: String
        var tupleID: String
        var expiresAt: Double
        var q: Double?
        var registeredAt: Double
    }

    struct Stamp: Sendable, Equatable, Codable {
        var order: EventOrder
        var at: Double
    }

    struct AOR: Sendable, Equatable, Codable {
        var uri: SIPURI
        var contacts: [String: Contact] = [:]
        /// The last applied order per contact, deleted ones included (tombstones).
        var stamps: [String: Stamp] = [:]
    }

    public let configuration: Configuration
    var aors: [String: AOR] = [:]
    /// AORs changed since their state was last taken for the store.
    var changed: Set<String> = []

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Number of AORs with at least one live contact.
    public var registeredCount: Int { aors.values.filter { !$0.contacts.isEmpty }.count }

    /// The live contacts of `aor`.
    public func contacts(of aor: String) -> [String] {
        aors[aor].map { $0.contacts.keys.sorted() } ?? []
    }

    /// Applies one event.
    public mutating func eventReceived(_ event: RegistrationEvent, now: Double) -> [FeedAction] {
        let key = event.aor.description
        var record = aors[key] ?? AOR(uri: event.aor)
        if let last = record.stamps[event.contact], event.order.isOlder(than: last.order) {
            return [.dropStale(key: "\(key) \(event.contact)")]
        }
        record.stamps[event.contact] = Stamp(order: event.order.merged(with: record.stamps[event.contact]?.order ?? EventOrder()), at: now)
        switch event.kind {
        case .insert, .update:
            let expires = event.expires ?? 0
            if expires == 0 {
                record.contacts[event.contact] = nil
            } else {
                let previous = record.contacts[event.contact]
                record.contacts[event.contact] = Contact(
                    uri: event.contact, tupleID: StableID.make(prefix: "c", event.instance ?? event.contact),
                    expiresAt: now + Double(expires), q: event.q,
                    registeredAt: previous?.registeredAt ?? event.order.timestamp ?? now)
            }
        case .delete, .expire:
            record.contacts[event.contact] = nil
        }
        purge(&record, now: now)
        aors[key] = record
        changed.insert(key)
        return publish(record, now: now)
    }

    /// Drops contacts that passed their expiry without an update and republishes when any did.
    public mutating func checkDue(_ key: String, now: Double) -> [FeedAction] {
        guard var record = aors[key] else { return [] }
        let previous = record
        let before = record.contacts.count
        purge(&record, now: now)
        aors[key] = record
        if record != previous { changed.insert(key) }
        if record.contacts.count == before {
            return record.contacts.values.map(\.expiresAt).min().map { [.scheduleCheck(key: key, at: $0)] } ?? []
        }
        return publish(record, now: now)
    }

    mutating func purge(_ record: inout AOR, now: Double) {
        record.contacts = record.contacts.filter { $0.value.expiresAt > now }
        record.stamps = record.stamps.filter { record.contacts[$0.key] != nil || now - $0.value.at < configuration.tombstoneLifetime }
    }

    func publish(_ record: AOR, now: Double) -> [FeedAction] {
        let key = record.uri.description
        let document: PIDFDocument
        let expires: Int
        if record.contacts.isEmpty {
            document = PIDFDocument(entity: key, tuples: [.init(id: StableID.make(prefix: "a", key), basic: .closed)])
            expires = configuration.defaultExpires
        } else {
            let contacts = record.contacts.values.sorted { ($0.q ?? 0, $1.uri) > ($1.q ?? 0, $0.uri) }
            document = PIDFDocument(entity: key, tuples: contacts.map { contact in
                .init(id: contact.tupleID, basic: .open, contact: contact.uri, priority: contact.q.map(Self.qValue),
                      timestamp: Date(timeIntervalSince1970: contact.registeredAt).ISO8601Format())
            })
            let remaining = Int((contacts.map(\.expiresAt).max()! - now).rounded(.up))
            expires = min(max(remaining, configuration.minExpires), configuration.defaultExpires)
        }
        var actions: [FeedAction] = [.publish(PublishParameters(
            presentity: record.uri, event: "presence", body: Array(document.xml().utf8), contentType: PIDFDocument.contentType,
            expires: expires, source: .registrations))]
        if let next = record.contacts.values.map(\.expiresAt).min() {
            actions.append(.scheduleCheck(key: key, at: next))
        }
        return actions
    }

    /// A q-value as RFC 3261 writes it: up to three decimals.
    static func qValue(_ q: Double) -> String {
        let thousandths = Int((min(max(q, 0), 1) * 1000).rounded())
        if thousandths == 1000 { return "1" }
        var text = "0." + String(repeating: "0", count: 3 - String(thousandths).count) + String(thousandths)
        while text.hasSuffix("0"), text.count > 3 { text.removeLast() }
        return text
    }
}
