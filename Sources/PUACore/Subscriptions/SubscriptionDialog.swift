import SIPCore

/// The SIP dialog of one subscription (RFC 3261 §12, RFC 6665 §4.1.2): Call-ID, tags, CSeq, route set and
/// remote target. Pure: it builds SUBSCRIBE requests and takes in the 2xx and NOTIFYs that set it up or move
/// it. A NOTIFY may arrive before the 2xx (RFC 6665 §4.1.2.4) and establish the dialog itself.
public struct SubscriptionDialog: Sendable, Equatable {
    /// The resource watched (Request-URI and To of a new SUBSCRIBE).
    public let resource: SIPURI
    /// The watcher (From).
    public let watcher: SIPURI
    /// Our Contact, where NOTIFYs come.
    public let contact: SIPURI
    public private(set) var callID: String
    public private(set) var localTag: String
    /// The notifier's tag; nil until the 2xx or the first NOTIFY.
    public private(set) var remoteTag: String?
    /// CSeq of the latest SUBSCRIBE.
    public private(set) var localSequence: UInt32
    /// Route header values for in-dialog requests (the Record-Route of the 2xx, reversed; or of the first NOTIFY).
    public private(set) var routeSet: [SIPNameAddress]
    /// Where in-dialog requests go: the notifier's Contact.
    public private(set) var remoteTarget: SIPURI?
    /// A new SUBSCRIBE's first hop instead of `resource` (the seed's outbound proxy); in-dialog requests follow the route set.
    public let outboundProxy: SIPURI?

    public init(resource: SIPURI, watcher: SIPURI, contact: SIPURI, callID: String, localTag: String, outboundProxy: SIPURI? = nil) {
        self.resource = resource
        self.watcher = watcher
        self.contact = contact
        self.callID = callID
        self.localTag = localTag
        self.outboundProxy = outboundProxy
        remoteTag = nil
        localSequence = 0
        routeSet = []
        remoteTarget = nil
    }

    /// A stored dialog taken up after a restart, with this node's `contact` (the next SUBSCRIBE carries it, so a
    /// moved node is found). The CSeq jumps `sequenceGap` ahead: requests sent after the last write and before
    /// a crash must not be outnumbered (RFC 3261 §12.2.1.1 asks only for a higher CSeq).
    public init(restoring stored: SubscriptionSnapshot, contact: SIPURI, sequenceGap: UInt32 = 100) {
        resource = stored.parameters.resource
        watcher = stored.parameters.watcher
        self.contact = contact
        callID = stored.callID
        localTag = stored.localTag
        outboundProxy = stored.parameters.outboundProxy
        remoteTag = stored.remoteTag
        localSequence = stored.localSequence &+ sequenceGap
        routeSet = stored.routeSet
        remoteTarget = stored.remoteTarget
    }

    /// Whether the dialog is established (a 2xx or a NOTIFY gave the notifier's tag).
    public var isEstablished: Bool { remoteTag != nil }

    /// The (Call-ID, local tag, remote tag) triple ``PresenceUserAgent/isDialog(_:)`` matches; nil before the dialog exists.
    public var id: SIPDialogID? { remoteTag.map { SIPDialogID(callID: callID, localTag: localTag, remoteTag: $0) } }

    /// The next SUBSCRIBE for `request` (the endpoint adds Via and Max-Forwards): in the dialog when it asks
    /// for that and the dialog exists, else a new one to the resource.
    public mutating func subscribe(_ request: SubscribeRequest, event: String, accept: [String], userAgent: String) -> SIPRequest {
        localSequence &+= 1
        let inDialog = request.inDialog && isEstablished
        var headers = SIPHeaders()
        headers.add("From", "<\(watcher)>;tag=\(localTag)")
        headers.add("To", "<\(resource)>" + (inDialog ? remoteTag.map { ";tag=\($0)" } ?? "" : ""))
        headers.add("Call-ID", callID)
        headers.add("CSeq", "\(localSequence) SUBSCRIBE")
        var uri = resource
        if inDialog {
            let target = remoteTarget ?? resource
            // Loose routing (RFC 3261 §12.2.1.1): the Request-URI is the remote target, the route set goes in Route;
            // a strict first route becomes the Request-URI and the target the last Route.
            if let first = routeSet.first, !first.uri.isLooseRouting {
                uri = first.uri
                for route in routeSet.dropFirst() { headers.add("Route", route.description) }
                headers.add("Route", "<\(target)>")
            } else {
                uri = target
                for route in routeSet { headers.add("Route", route.description) }
            }
        } else if let outboundProxy {
            headers.add("Route", "<\(outboundProxy);lr>")
        }
        headers.add("Event", event)
        if !accept.isEmpty { headers.add("Accept", accept.joined(separator: ", ")) }
        headers.add("Expires", String(request.expires))
        headers.add("Contact", "<\(contact)>")
        headers.add("User-Agent", userAgent)
        return SIPRequest(method: .subscribe, uri: uri, headers: headers)
    }

    /// A 2xx to a SUBSCRIBE: the notifier's tag, the route set (its Record-Route reversed) and target (its
    /// Contact), unless a NOTIFY already set them up.
    public mutating func responseReceived(_ response: SIPResponse) {
        guard (200..<300).contains(response.statusCode), !isEstablished, let tag = response.headers.to?.tag else { return }
        remoteTag = tag
        routeSet = response.headers.recordRoutes.reversed()
        remoteTarget = response.headers.contacts.first?.uri ?? remoteTarget
    }

    /// Whether `notify` belongs to this subscription: its Call-ID, its To tag ours, its From tag the
    /// notifier's (any, before the dialog exists).
    public func matches(_ notify: SIPRequest) -> Bool {
        guard notify.headers.callID == callID, notify.headers.to?.tag == localTag, let from = notify.headers.from?.tag else { return false }
        return remoteTag == nil || remoteTag == from
    }

    /// A NOTIFY of this dialog: establishes it when it came first (route set from its Record-Route in order),
    /// and with `updateContact` (the seed's `pua_update_contact`) moves the remote target to its Contact.
    public mutating func notifyReceived(_ notify: SIPRequest, updateContact: Bool) {
        if !isEstablished, let tag = notify.headers.from?.tag {
            remoteTag = tag
            routeSet = notify.headers.recordRoutes
            remoteTarget = notify.headers.contacts.first?.uri
            return
        }
        if updateContact, let contact = notify.headers.contacts.first?.uri { remoteTarget = contact }
    }

    /// Forgets the dialog for a new one (re-created subscription): new Call-ID and tag, no route set or target.
    public mutating func reset(callID: String, localTag: String) {
        self.callID = callID
        self.localTag = localTag
        remoteTag = nil
        routeSet = []
        remoteTarget = nil
    }
}
