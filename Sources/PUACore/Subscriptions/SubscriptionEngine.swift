import Foundation
import Logging
import Metrics
import PresenceDocuments
import ServiceLifecycle
import SIPCore
import SIPStack

/// Runs subscriptions (`send_subscribe`): one ``SubscriptionMachine`` and ``SubscriptionDialog`` per id, the
/// SUBSCRIBE transactions, the NOTIFYs (``notifyReceived(_:)`` is the endpoint's request handler: 200 for a
/// NOTIFY of one of its dialogs, nil — so 481 — for any other), and the timers.
public actor SubscriptionEngine {
    struct Record {
        var parameters: SubscribeParameters
        var machine: SubscriptionMachine
        var dialog: SubscriptionDialog
        var timer: (at: ContinuousClock.Instant, generation: UInt64)?
        /// Identifies the request in flight, so a late outcome of an older one is ignored.
        var serial: UInt64 = 0
        var lastNotify: (state: String, body: [UInt8], at: Double)?
        /// When the granted lifetime ends at the notifier (seconds since 1970).
        var expiresAt: Double?
        /// What a `*.winfo` subscription knows of the watchers.
        var watcherInfo = WatcherInfoState()

        var snapshot: SubscriptionSnapshot {
            SubscriptionSnapshot(
                parameters: parameters, state: machine.state, grantedExpires: machine.grantedExpires, expiresAt: expiresAt,
                callID: dialog.callID, localTag: dialog.localTag, remoteTag: dialog.remoteTag, localSequence: dialog.localSequence,
                routeSet: dialog.routeSet, remoteTarget: dialog.remoteTarget, contact: dialog.contact,
                lastNotifyState: lastNotify?.state, lastNotifyBody: lastNotify?.body, lastNotifyAt: lastNotify?.at)
        }
    }

    let transport: any PublishTransport
    /// Where subscriptions are written (every `flushInterval` and at shutdown) and recovered from.
    let store: any SubscriptionStore
    let flushInterval: Duration
    let contact: SIPURI
    let userAgent: String
    let updateContact: Bool
    let configuration: SubscriptionMachine.Configuration
    let logger: Logger
    let clock: @Sendable () -> ContinuousClock.Instant
    let wallClock: @Sendable () -> Double
    var records: [String: Record] = [:]
    /// Subscription id by Call-ID, for matching NOTIFYs.
    var byCallID: [String: String] = [:]
    var serial: UInt64 = 0
    var observer: @Sendable (SubscriptionEvent) -> Void
    /// Callbacks registered per source (nil: every source), as for publications (`register_puacb`).
    var callbacks: [(id: PublicationCallbackID, sources: Set<PublicationSource>?, callback: @Sendable (SubscriptionEvent) -> Void)] = []
    var nextCallbackID: UInt64 = 0
    /// Subscriptions changed since the last flush, by id.
    var dirty: Set<String> = []
    /// Rows of ended subscriptions still to delete.
    var ended: Set<SubscriptionKey> = []

    /// - Parameters:
    ///   - contact: our Contact, where NOTIFYs come (the endpoint's address).
    ///   - updateContact: `pua_update_contact`: a NOTIFY's Contact becomes the target of the next in-dialog SUBSCRIBE.
    ///   - store: where subscriptions are kept across restarts (written every `flushInterval`, at a graceful
    ///     shutdown, and read by ``recover()``).
    public init(
        transport: any PublishTransport, store: any SubscriptionStore = InMemorySubscriptionStore(), flushInterval: Duration = .seconds(5),
        contact: SIPURI, userAgent: String = "Lamplighter", updateContact: Bool = true,
        configuration: SubscriptionMachine.Configuration = .init(), logger: Logger,
        clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now },
        wallClock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
        observer: @escaping @Sendable (SubscriptionEvent) -> Void = { _ in }
    ) {
        self.transport = transport
        self.store = store
        self.flushInterval = flushInterval
        self.contact = contact
        self.userAgent = userAgent
        self.updateContact = updateContact
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        self.wallClock = wallClock
        self.observer = observer
    }

    /// Registers `callback` for the events of subscriptions from `sources` (nil: every source).
    public func registerCallback(for sources: Set<PublicationSource>?, _ callback: @escaping @Sendable (SubscriptionEvent) -> Void) -> PublicationCallbackID {
        nextCallbackID += 1
        let id = PublicationCallbackID(value: nextCallbackID)
        callbacks.append((id, sources, callback))
        return id
    }

    /// Removes a callback; false when it was not registered.
    public func unregisterCallback(_ id: PublicationCallbackID) -> Bool {
        guard let index = callbacks.firstIndex(where: { $0.id == id }) else { return false }
        callbacks.remove(at: index)
        return true
    }

    /// Tells the observer and the callbacks registered for `source`.
    func emit(_ event: SubscriptionEvent, source: PublicationSource) {
        observer(event)
        for entry in callbacks where entry.sources?.contains(source) ?? true { entry.callback(event) }
    }

    /// Starts a subscription (an id already running is left as it is).
    public func sendSubscribe(_ parameters: SubscribeParameters) {
        guard records[parameters.id] == nil else { return }
        let callID = PublicationEngine.token(prefix: "s") + "@lamplighter"
        var record = Record(
            parameters: parameters,
            machine: SubscriptionMachine(configuration: configuration, expires: parameters.expires),
            dialog: SubscriptionDialog(
                resource: parameters.resource, watcher: parameters.watcher, contact: contact, callID: callID,
                localTag: PublicationEngine.token(prefix: ""), outboundProxy: parameters.outboundProxy))
        byCallID[callID] = parameters.id
        let actions = record.machine.start(now: clock())
        execute(actions, on: &record)
        store(record)
    }

    /// Ends a subscription (Expires 0 in its dialog).
    public func unsubscribe(id: String) {
        guard var record = records[id] else { return }
        execute(record.machine.unsubscribe(now: clock()), on: &record)
        store(record)
    }

    /// The state of subscription `id`; nil when there is none.
    public func state(of id: String) -> SubscriptionMachine.State? { records[id]?.machine.state }

    /// Subscription `id`, if running.
    public func subscription(_ id: String) -> SubscriptionSnapshot? { records[id]?.snapshot }

    /// Every running subscription, by id.
    public func subscriptions() -> [SubscriptionSnapshot] { records.keys.sorted().compactMap { records[$0]?.snapshot } }

    /// Whether `dialog` is one of these subscriptions' dialogs (the seed's `is_dialog`).
    public func isDialog(_ dialog: SIPDialogID) -> Bool {
        guard let id = byCallID[dialog.callID], let record = records[id] else { return false }
        return record.dialog.id == dialog
    }

    /// A NOTIFY: answered 200 when it belongs to a subscription (delivered to the observer), nil otherwise.
    public func notifyReceived(_ notify: SIPRequest) -> SIPResponse? {
        guard let callID = notify.headers.callID, let id = byCallID[callID], var record = records[id], record.dialog.matches(notify),
              let subscriptionState = notify.headers.subscriptionState else {
            Counter(label: "lamplighter_notify_received_total", dimensions: [("result", "unknown_dialog")]).increment()
            return nil
        }
        Counter(label: "lamplighter_notify_received_total", dimensions: [("result", "accepted")]).increment()
        record.dialog.notifyReceived(notify, updateContact: updateContact)
        record.lastNotify = (subscriptionState.description, notify.body, wallClock())
        emit(.notified(id: id, state: subscriptionState, body: notify.body, contentType: notify.headers.contentType), source: record.parameters.source)
        if record.parameters.event.hasSuffix(".winfo"), !notify.body.isEmpty {
            watcherInfoReceived(notify.body, on: &record)
        }
        execute(record.machine.notifyReceived(subscriptionState, now: clock()), on: &record)
        if let expires = subscriptionState.expires, record.machine.state == .pending || record.machine.state == .active {
            record.expiresAt = min(record.expiresAt ?? .infinity, wallClock() + Double(expires))
        }
        store(record)
        return SIPResponse(replyingTo: notify, statusCode: 200, reason: "OK")
    }

    /// Fires every timer due at `now` (the run loop calls this; tests pass a later instant).
    public func fireDueTimers(now: ContinuousClock.Instant) {
        for id in records.keys.sorted() {
            guard var record = records[id], let timer = record.timer, timer.at <= now else { continue }
            record.timer = nil
            execute(record.machine.timerFired(generation: timer.generation, now: now), on: &record)
            store(record)
        }
    }

    /// Runs timers every `resolution` until cancelled.
    public func runTimers(resolution: Duration = .milliseconds(100)) async {
        while !Task.isCancelled {
            fireDueTimers(now: clock())
            try? await Task.sleep(for: resolution)
        }
    }

    /// A watcherinfo body: merged into what the subscription knows and reported; after a gap, a refresh asks
    /// for a full state. A body that does not parse is logged and counted, and changes nothing.
    func watcherInfoReceived(_ body: [UInt8], on record: inout Record) {
        let document: WatcherInfoDocument
        do {
            document = try WatcherInfoDocument(parsing: body)
        } catch {
            Counter(label: "lamplighter_notify_body_rejected_total", dimensions: [("event", record.parameters.event)]).increment()
            logger.warning("watcherinfo body rejected", metadata: ["id": "\(record.parameters.id)", "error": "\(error)"])
            return
        }
        switch record.watcherInfo.apply(document) {
        case .applied:
            for list in document.lists {
                emit(.watchers(
                    id: record.parameters.id, resource: list.resource, package: list.package,
                    record.watcherInfo.watchers(of: list.resource, package: list.package)), source: record.parameters.source)
            }
        case .stale:
            break
        case .needsFullState:
            logger.info("watcherinfo versions skipped; asking for a full state", metadata: ["id": "\(record.parameters.id)"])
            execute(record.machine.refreshNow(now: clock()), on: &record)
        }
    }

    // MARK: - Actions

    func execute(_ actions: [SubscriptionMachine.Action], on record: inout Record) {
        for action in actions {
            switch action {
            case .sendSubscribe(let request):
                Counter(label: "lamplighter_subscribe_sent_total", dimensions: [("kind", request.expires == 0 ? "unsubscribe" : request.inDialog ? "refresh" : "initial")]).increment()
                let message = record.dialog.subscribe(request, event: record.parameters.event, accept: record.parameters.accept, userAgent: userAgent)
                serial += 1
                record.serial = serial
                let id = record.parameters.id, serial = self.serial, transport = self.transport
                // In the dialog: towards the first route, else the remote target; a new one: the outbound proxy or default.
                let nextHop: SIPURI? = request.inDialog && record.dialog.isEstablished
                    ? (record.dialog.routeSet.first?.uri ?? message.uri) : record.parameters.outboundProxy
                Task.detached {
                    await self.outcomeReceived(id, serial: serial, await transport.outcome(of: message, nextHop: nextHop))
                }
            case .resetDialog:
                record.expiresAt = nil
                byCallID[record.dialog.callID] = nil
                let callID = PublicationEngine.token(prefix: "s") + "@lamplighter"
                record.dialog.reset(callID: callID, localTag: PublicationEngine.token(prefix: ""))
                byCallID[callID] = record.parameters.id
            case .scheduleTimer(let at, let generation):
                record.timer = (at, generation)
            case .reportState(let state):
                emit(.stateChanged(id: record.parameters.id, state), source: record.parameters.source)
            case .reportTerminated(let end):
                logger.info("subscription ended", metadata: ["id": "\(record.parameters.id)", "reason": "\(end.reason)", "status": "\(end.statusCode.map(String.init) ?? "-")"])
                emit(.terminated(id: record.parameters.id, end), source: record.parameters.source)
            }
        }
    }

    func outcomeReceived(_ id: String, serial: UInt64, _ result: Result<SIPResponse, SIPTransactionError>) {
        guard var record = records[id], record.serial == serial else { return }
        let now = clock()
        switch result {
        case .success(let response):
            Counter(label: "lamplighter_subscribe_replies_total", dimensions: [("code", String(response.statusCode))]).increment()
            record.dialog.responseReceived(response)
            let reply = SubscribeReply(
                statusCode: response.statusCode, expires: response.headers.expires, minExpires: response.headers.minExpires,
                retryAfter: response.headers.retryAfter)
            execute(record.machine.replyReceived(reply, now: now), on: &record)
            if (200..<300).contains(response.statusCode), let granted = record.machine.grantedExpires,
               record.machine.state == .pending || record.machine.state == .active {
                record.expiresAt = wallClock() + Double(granted)
            }
        case .failure(let error) where error.code == .authenticationFailed:
            Counter(label: "lamplighter_subscribe_replies_total", dimensions: [("code", "401")]).increment()
            execute(record.machine.replyReceived(SubscribeReply(statusCode: 401), now: now), on: &record)
        case .failure(let error):
            Counter(label: "lamplighter_subscribe_replies_total", dimensions: [("code", "\(error.code)")]).increment()
            execute(record.machine.transactionFailed(now: now), on: &record)
        }
        store(record)
    }

    /// Puts the record back, or forgets it once ended.
    func store(_ record: Record) {
        let id = record.parameters.id
        if record.machine.state == .terminated {
            records[id] = nil
            byCallID[record.dialog.callID] = nil
            dirty.remove(id)
            ended.insert(record.snapshot.key)
        } else {
            records[id] = record
            dirty.insert(id)
        }
    }
}

extension SubscriptionEngine: Service {
    /// The timer loop and the write-behind, until cancelled or a graceful shutdown; then what changed is
    /// written, so the subscriptions resume after a restart (at the notifier they run on until they expire).
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.runTimers() }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: self.flushInterval)
                        await self.flush()
                    }
                }
                await group.waitForAll()
            }
        }
        await flush()
    }
}
