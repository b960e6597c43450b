import Foundation
import PUACore
import SIPCore

/// Subscriptions in the `pua` table beside the publications, as OpenSIPS keeps them: a row with the watcher in
/// `watcher_uri` (publications have ''), the dialog in `call_id`, `from_tag` (ours), `to_tag`, `cseq`,
/// `record_route`, `contact` and `remote_contact`, the Accept list in `content_type`.
extension PostgresPresentityStore: SubscriptionStore {
    static let subscriptionColumns = [
        "pres_uri", "event", "pres_id", "watcher_uri", "to_uri", "expires", "desired_expires", "body", "content_type",
        "source", "outbound_proxy", "granted_expires", "state", "node", "flag", "call_id", "from_tag", "to_tag", "cseq",
        "record_route", "contact", "remote_contact",
    ]
    static let subscriptionPlaceholders = [
        "%::text", "%::text", "%::text", "%::text", "%::text", "%::bigint", "%::integer", "%::bytea", "%::text",
        "%::text", "%::text", "%::integer", "%::text", "%::text", "%::integer", "%::text", "%::text", "%::text", "%::bigint",
        "%::text", "%::text", "%::text",
    ]

    public func loadSubscriptions() async throws(PresentityStoreError) -> [SubscriptionSnapshot] {
        var sql = "SELECT \(Self.subscriptionColumns.joined(separator: ", ")) FROM \(quotedTable) WHERE watcher_uri <> ''"
        var bindings = PostgresBindings()
        appendNodeFilter(to: &sql, &bindings)
        return try await loadRows(sql, bindings, what: "subscriptions", table: table) { row in Self.subscription(row) }
    }

    public func writeSubscriptions(_ subscriptions: [SubscriptionSnapshot], deleting deleted: [SubscriptionKey]) async throws(PresentityStoreError) {
        let written = Set(subscriptions.map(\.key))
        let deleting = deleted.filter { !written.contains($0) }
        var work: [(PostgresStatement, PostgresBindings)] = []
        for chunk in Self.chunks(deleting.count, max: maxRowsPerStatement) {
            var bindings = PostgresBindings(reservingBytes: chunk.count * 128, values: chunk.count * 4)
            for key in deleting[chunk] {
                bindings.append(key.resource)
                bindings.append(key.event)
                bindings.append(key.id)
                bindings.append(key.watcher)
            }
            let values = (0..<chunk.count).map { row in
                (1...4).map { "$\(row * 4 + $0)::text" }.joined(separator: ", ")
            }.map { "(\($0))" }.joined(separator: ", ")
            work.append((
                PostgresStatement(
                    name: "lamplighter_subscription_delete_\(table)_\(chunk.count)",
                    sql: "DELETE FROM \(quotedTable) AS p USING (VALUES \(values)) AS d(pres_uri, event, pres_id, watcher_uri) "
                        + "WHERE p.pres_uri = d.pres_uri AND p.event = d.event AND p.pres_id = d.pres_id AND p.watcher_uri = d.watcher_uri"),
                bindings))
        }
        let columns = Self.subscriptionColumns
        for chunk in Self.chunks(subscriptions.count, max: maxRowsPerStatement) {
            var bindings = PostgresBindings(reservingBytes: chunk.count * 512, values: chunk.count * columns.count)
            for subscription in subscriptions[chunk] { bind(subscription, into: &bindings) }
            let values = (0..<chunk.count).map { row in
                "(" + Self.subscriptionPlaceholders.enumerated().map { column, shape in
                    shape.replacingOccurrences(of: "%", with: "$\(row * columns.count + column + 1)")
                }.joined(separator: ", ") + ")"
            }.joined(separator: ", ")
            let updates = columns.dropFirst(4).map { "\($0) = EXCLUDED.\($0)" }.joined(separator: ", ")
            work.append((
                PostgresStatement(
                    name: "lamplighter_subscription_upsert_\(table)_\(chunk.count)",
                    sql: "INSERT INTO \(quotedTable) (\(columns.joined(separator: ", "))) VALUES \(values) "
                        + "ON CONFLICT (pres_uri, event, pres_id, watcher_uri) DO UPDATE SET \(updates), updated_at = now()"),
                bindings))
        }
        // No key is both deleted and written, so the statements may run side by side.
        try await run(work, doing: "writing \(subscriptions.count) and deleting \(deleting.count) subscriptions")
    }

    func bind(_ subscription: SubscriptionSnapshot, into bindings: inout PostgresBindings) {
        let key = subscription.key
        bindings.append(key.resource)
        bindings.append(key.event)
        bindings.append(key.id)
        bindings.append(key.watcher)
        bindings.append(key.resource)
        bindings.append(subscription.expiresAt.map { Int64($0.rounded(.down)) })
        bindings.append(subscription.parameters.expires ?? 0)
        bindings.append(bytes: [])
        bindings.append(subscription.parameters.accept.joined(separator: ", "))
        bindings.append(subscription.parameters.source.rawValue)
        bindings.append(subscription.parameters.outboundProxy?.description)
        bindings.append(subscription.grantedExpires)
        bindings.append(Self.subscriptionStateName(subscription.state))
        bindings.append(node)
        bindings.append(subscription.parameters.event == "dialog;sla" ? 1 << 2 : 1 << 8)  // BLA_SUBSCRIBE, MI_SUBSCRIBE
        bindings.append(subscription.callID)
        bindings.append(subscription.localTag)
        bindings.append(subscription.remoteTag)
        bindings.append(Int64(subscription.localSequence))
        bindings.append(subscription.routeSet.isEmpty ? nil : subscription.routeSet.map(\.description).joined(separator: ", "))
        bindings.append(subscription.contact.description)
        bindings.append(subscription.remoteTarget?.description)
    }

    static func subscription(_ row: borrowing PostgresRowReader) -> SubscriptionSnapshot? {
        guard let resourceText = row.text(0), let event = row.text(1), let id = row.text(2), let watcherText = row.text(3),
              let resource = try? SIPURI(parsing: resourceText), let watcher = try? SIPURI(parsing: watcherText),
              let sourceName = row.text(9), let state = row.text(12).flatMap(subscriptionState(named:)),
              let callID = row.text(15), let localTag = row.text(16),
              let contact = row.text(20).flatMap({ try? SIPURI(parsing: $0) }),
              let sequence = UInt32(exactly: row.integer(18) ?? 0)
        else { return nil }
        var routes = SIPHeaders()
        if let recordRoute = row.text(19) { routes.add("Record-Route", recordRoute) }
        let desired = row.integer(6).map { Int($0) }
        let accept = (row.text(8) ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let parameters = SubscribeParameters(
            id: id, resource: resource, watcher: watcher, event: event, accept: accept, expires: desired == 0 ? nil : desired,
            outboundProxy: row.text(10).flatMap { try? SIPURI(parsing: $0) }, source: PublicationSource(rawValue: sourceName))
        return SubscriptionSnapshot(
            parameters: parameters, state: state, grantedExpires: row.integer(11).map { Int($0) },
            expiresAt: row.integer(5).map { Double($0) }, callID: callID, localTag: localTag, remoteTag: row.text(17),
            localSequence: sequence, routeSet: routes.recordRoutes, remoteTarget: row.text(21).flatMap { try? SIPURI(parsing: $0) },
            contact: contact)
    }

    /// The stored name of a subscription state (ended subscriptions are deleted, never stored).
    static func subscriptionStateName(_ state: SubscriptionMachine.State) -> String {
        switch state {
        case .idle: "idle"
        case .establishing: "establishing"
        case .pending: "pending"
        case .active: "active"
        case .terminating: "terminating"
        case .terminated: preconditionFailure("ended subscriptions are deleted, never stored")
        }
    }

    static func subscriptionState(named name: String) -> SubscriptionMachine.State? {
        switch name {
        case "idle": .idle
        case "establishing": .establishing
        case "pending": .pending
        case "active": .active
        case "terminating": .terminating
        default: nil
        }
    }
}
