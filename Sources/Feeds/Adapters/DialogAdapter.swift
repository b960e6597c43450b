import PUACore
import PresenceDocuments
import SIPCore

/// Dialogs to BLF (OpenSIPS `pua_dialoginfo`) and shared-line appearances (`pua_bla`): for every presentity
/// involved (the caller, the callee, and the line of a shared-line call) it publishes one RFC 4235 document
/// (state full) holding all current dialogs of that presentity. A terminated dialog is published once, then
/// left out; a presentity without dialogs publishes an idle document and later removes its publication; a
/// watchdog ends dialogs stuck before `confirmed`. Pure: events and checks in, actions out; time injected.
public struct DialogAdapter: Sendable {
    /// The options of `pua_dialoginfo`, plus the timers it lacks.
    public struct Options: Sendable, Equatable {
        public var includeCallID: Bool
        public var includeTags: Bool
        public var includeLocalRemote: Bool
        public var publishCaller: Bool
        public var publishCallee: Bool
        public var publishOnTrying: Bool
        /// Lifetime of dialog publications; nil uses `defaultLifetime`.
        public var overrideLifetime: Int?
        public var defaultLifetime: Int
        /// Dialogs still trying, proceeding or early this long after their last event are ended (watchdog).
        public var stuckAfter: Double
        /// After its last dialog is published as terminated, a presentity publishes the idle document this much later.
        public var idleAfter: Double
        /// An idle presentity's publication is removed this much later.
        public var removeIdleAfter: Double
        /// How long an ended dialog's key is remembered, so late events for it are dropped.
        public var tombstoneLifetime: Double

        public init(
            includeCallID: Bool = true, includeTags: Bool = true, includeLocalRemote: Bool = true, publishCaller: Bool = true,
            publishCallee: Bool = true, publishOnTrying: Bool = false, overrideLifetime: Int? = nil, defaultLifetime: Int = 3600,
            stuckAfter: Double = 120, idleAfter: Double = 2, removeIdleAfter: Double = 600, tombstoneLifetime: Double = 3600
        ) {
            self.includeCallID = includeCallID
            self.includeTags = includeTags
            self.includeLocalRemote = includeLocalRemote
            self.publishCaller = publishCaller
            self.publishCallee = publishCallee
            self.publishOnTrying = publishOnTrying
            self.overrideLifetime = overrideLifetime
            self.defaultLifetime = defaultLifetime
            self.stuckAfter = stuckAfter
            self.idleAfter = idleAfter
            self.removeIdleAfter = removeIdleAfter
            self.tombstoneLifetime = tombstoneLifetime
        }
    }

    struct Dialog: Sendable, Equatable, Codable {
        var event: DialogEvent
        var confirmedAt: Double?
        var updatedAt: Double
    }

    /// Where a presentity's publication stands.
    enum Phase: Sendable, Equatable, Codable {
        /// It shows at least one dialog.
        case active
        /// Its last dialog went out as terminated at this time.
        case terminatedSent(Double)
        /// The idle document went out at this time.
        case idleSent(Double)
    }

    struct Presentity: Sendable, Equatable, Codable {
        var uri: SIPURI
        var event: String
        var dialogs: Set<String> = []
        var phase: Phase = .active
    }

    public let options: Options
    var dialogs: [String: Dialog] = [:]
    var presentities: [String: Presentity] = [:]
    /// Ended dialogs' keys and when they ended.
    var tombstones: [String: Double] = [:]
    /// Dialog keys (live or tombstoned) changed since their state was last taken for the store.
    var changedDialogs: Set<String> = []
    /// Presentity keys changed since then.
    var changedPresentities: Set<String> = []

    public init(options: Options = Options()) {
        self.options = options
    }

    /// Dialogs not yet ended.
    public var activeDialogCount: Int { dialogs.count }

    /// The key of a presentity's publication, as used by checks: `<event> <uri>`.
    static func key(event: String, _ uri: SIPURI) -> String { event + " " + uri.description }

    public mutating func eventReceived(_ event: DialogEvent, now: Double) -> [FeedAction] {
        let key = event.key
        if tombstones[key] != nil { return [.dropStale(key: key)] }
        if let existing = dialogs[key], event.order.isOlder(than: existing.event.order) { return [.dropStale(key: key)] }
        var dialog = dialogs[key] ?? Dialog(event: event, updatedAt: now)
        let order = event.order.merged(with: dialog.event.order)
        dialog.event = event
        dialog.event.order = order
        dialog.updatedAt = now
        if event.state == .confirmed, dialog.confirmedAt == nil { dialog.confirmedAt = now }
        dialogs[key] = dialog
        changedDialogs.insert(key)
        let affected = presentityKeys(of: event)
        for presentity in affected {
            presentities[presentity.key, default: Presentity(uri: presentity.uri, event: presentity.event)].dialogs.insert(key)
            changedPresentities.insert(presentity.key)
        }
        if event.state == .trying, !options.publishOnTrying {
            return affected.map { .scheduleCheck(key: $0.key, at: now + options.stuckAfter) }
        }
        return publishChange(of: key, affected: affected.map(\.key), now: now)
    }

    /// Runs the watchdog and the idle steps for one presentity; idempotent.
    public mutating func checkDue(_ presentityKey: String, now: Double) -> [FeedAction] {
        guard let presentity = presentities[presentityKey] else { return [] }
        var actions: [FeedAction] = []
        let stuck = presentity.dialogs.filter { key in
            guard let dialog = dialogs[key] else { return false }
            return [.trying, .proceeding, .early].contains(dialog.event.state) && now - dialog.updatedAt >= options.stuckAfter
        }
        for key in stuck.sorted() {
            guard var dialog = dialogs[key] else { continue }
            dialog.event.state = .terminated
            dialogs[key] = dialog
            changedDialogs.insert(key)
            actions += publishChange(of: key, affected: presentityKeys(of: dialog.event).map(\.key), now: now)
        }
        guard let current = presentities[presentityKey] else { return actions }
        // What is still pending is asked for again (the check queue keeps one check per presentity, the earliest).
        guard current.dialogs.isEmpty else {
            let watchdog = current.dialogs.compactMap { key -> Double? in
                guard let dialog = dialogs[key], [.trying, .proceeding, .early].contains(dialog.event.state) else { return nil }
                return dialog.updatedAt + options.stuckAfter
            }.min()
            if let watchdog { actions.append(.scheduleCheck(key: presentityKey, at: max(watchdog, now))) }
            return actions
        }
        switch current.phase {
        case .active:
            break
        case .terminatedSent(let at) where now >= at + options.idleAfter:
            presentities[presentityKey]?.phase = .idleSent(now)
            changedPresentities.insert(presentityKey)
            actions.append(.publish(parameters(for: current, body: document(for: current, now: now), expires: lifetime)))
            actions.append(.scheduleCheck(key: presentityKey, at: now + options.removeIdleAfter))
        case .terminatedSent(let at):
            actions.append(.scheduleCheck(key: presentityKey, at: at + options.idleAfter))
        case .idleSent(let at) where now >= at + options.removeIdleAfter:
            presentities[presentityKey] = nil
            changedPresentities.insert(presentityKey)
            actions.append(.publish(PublishParameters(
                presentity: current.uri, event: current.event, expires: 0, source: source(of: current))))
        case .idleSent(let at):
            actions.append(.scheduleCheck(key: presentityKey, at: at + options.removeIdleAfter))
        }
        return actions
    }

    var lifetime: Int { options.overrideLifetime ?? options.defaultLifetime }

    /// Publishes every affected presentity, then forgets the dialog if it ended.
    mutating func publishChange(of dialogKey: String, affected: [String], now: Double) -> [FeedAction] {
        var actions: [FeedAction] = []
        let ended = dialogs[dialogKey]?.event.state == .terminated
        for presentityKey in affected {
            guard var presentity = presentities[presentityKey] else { continue }
            presentity.dialogs.insert(dialogKey)
            actions.append(.publish(parameters(for: presentity, body: document(for: presentity, now: now), expires: lifetime)))
            if ended {
                presentity.dialogs.remove(dialogKey)
                if presentity.dialogs.isEmpty {
                    presentity.phase = .terminatedSent(now)
                    actions.append(.scheduleCheck(key: presentityKey, at: now + options.idleAfter))
                }
            } else {
                presentity.phase = .active
                if let state = dialogs[dialogKey]?.event.state, [.trying, .proceeding, .early].contains(state) {
                    actions.append(.scheduleCheck(key: presentityKey, at: now + options.stuckAfter))
                }
            }
            presentities[presentityKey] = presentity
            changedPresentities.insert(presentityKey)
        }
        if ended {
            dialogs[dialogKey] = nil
            tombstones[dialogKey] = now
            changedDialogs.insert(dialogKey)
            for (key, at) in tombstones where now - at >= options.tombstoneLifetime {
                tombstones[key] = nil
                changedDialogs.insert(key)
            }
        }
        return actions
    }

    private func presentityKeys(of event: DialogEvent) -> [(key: String, uri: SIPURI, event: String)] {
        var keys: [(key: String, uri: SIPURI, event: String)] = []
        if options.publishCaller { keys.append((Self.key(event: "dialog", event.from), event.from, "dialog")) }
        if options.publishCallee, event.to != event.from || !options.publishCaller {
            keys.append((Self.key(event: "dialog", event.to), event.to, "dialog"))
        }
        if let line = event.line { keys.append((Self.key(event: "dialog;sla", line.aor), line.aor, "dialog;sla")) }
        return keys
    }

    private func source(of presentity: Presentity) -> PublicationSource {
        presentity.event == "dialog;sla" ? .sharedLines : .dialogs
    }

    func parameters(for presentity: Presentity, body: DialogInfoDocument, expires: Int) -> PublishParameters {
        PublishParameters(
            presentity: presentity.uri, event: presentity.event, body: Array(body.xml().utf8),
            contentType: DialogInfoDocument.contentType, expires: expires, source: source(of: presentity))
    }

    /// The presentity's document: its dialogs, oldest call first.
    func document(for presentity: Presentity, now: Double) -> DialogInfoDocument {
        let current = presentity.dialogs.compactMap { dialogs[$0] }.sorted { ($0.event.callID, $0.event.fromTag) < ($1.event.callID, $1.event.fromTag) }
        return DialogInfoDocument(entity: presentity.uri.description, dialogs: current.map { element(for: $0, in: presentity, now: now) })
    }

    private func element(for dialog: Dialog, in presentity: Presentity, now: Double) -> DialogInfoDocument.Dialog {
        let event = dialog.event
        let line = presentity.event == "dialog;sla"
        let initiator = line ? event.from == presentity.uri || event.to != presentity.uri : event.from == presentity.uri
        let caller = DialogInfoDocument.Participant(identity: event.from.description, displayName: event.fromDisplay, target: event.callerTarget)
        let callee = DialogInfoDocument.Participant(identity: event.to.description, displayName: event.toDisplay, target: event.calleeTarget)
        var local = initiator ? caller : callee
        let remote = initiator ? callee : caller
        if line, let appearance = event.line {
            local = DialogInfoDocument.Participant(
                identity: appearance.aor.description, target: appearance.aor.description,
                targetParameters: [(name: "x-line-index", value: String(appearance.appearance))])
        }
        return DialogInfoDocument.Dialog(
            id: event.callID,
            callID: options.includeCallID ? event.callID : nil,
            localTag: options.includeTags ? (initiator ? event.fromTag : event.toTag) : nil,
            remoteTag: options.includeTags ? (initiator ? event.toTag : event.fromTag) : nil,
            direction: initiator ? .initiator : .recipient,
            state: event.state,
            duration: dialog.confirmedAt.map { Int(now - $0) },
            local: options.includeLocalRemote || line ? local : nil,
            remote: options.includeLocalRemote ? remote : nil)
    }
}
