import NIOCore
import SIPCore

/// RFC 3263 §4 target selection as a pure state machine: a SIP URI in, DNS questions out, answers in,
/// an ordered list of ``SIPDestination``s (for fail-over, first is tried first) or an error out.
///
/// The runner (``SIPResolver``) calls ``start()``, and while the action is ``Action/query(_:)`` it runs that
/// query and passes the outcome to ``received(_:using:)``. Randomness (SRV weights) is injected there.
///
/// What is decided, where RFC 3263 leaves a choice:
/// - **NAPTR (§4.1) is skipped.** Transport comes from the URI, else from SRV probing.
/// - **Transport (§4.1):** the `transport` parameter if present (`udp`, `tcp`, `tls`; with `sips:`, `tcp`
///   means TLS and `udp` is an error; other values such as `sctp` or `ws` are errors). Otherwise `sips:` is
///   TLS; otherwise an IP literal or an explicit port means UDP. Otherwise SRV queries for
///   ``Options/srvTransports`` in that order (default `_sip._udp`, `_sip._tcp`, `_sips._tcp`) and the
///   **first service that has records is used alone**: UDP is preferred, as in our configuration default;
///   the other transports are not added as further fail-over. A `sips:` URI (or an explicit transport) queries
///   only its own service (`_sips._tcp` for TLS).
/// - **Target:** the `maddr` parameter if present, else the host (§4).
/// - **Port and address (§4.2):** IP literal → that address, the URI's port or the default (5060, 5061 for
///   TLS); explicit port → A/AAAA of the host with that port, no SRV; SRV records → ordered by
///   ``SRVOrdering`` (priority, then weighted random), each target resolved to addresses, every address a
///   destination in order; no SRV records at all → A/AAAA of the host with the default port. SRV records
///   whose target is `.` (service decidedly unavailable) count as records, so they prevent that fallback.
/// - **Addresses:** ``Options/addressTypes`` in order (A before AAAA by default). Addresses of an SRV target
///   given in the SRV response's additional section are used without further queries. CNAMEs are followed
///   inside each answer, and by a new query when the server returns only the alias (bounded).
///   NXDOMAIN for A skips the AAAA query for that name. Duplicate addresses (same transport and socket
///   address) are kept once, at their first position.
/// - **`serverName`:** the SRV target for TLS destinations found through SRV (``Options/tlsServerNameFromSRVTarget``;
///   RFC 5922 §4 would rather check the URI's domain, set the option to `false` for that), else the target host.
/// - **Failures:** a failed, NXDOMAIN or empty SRV query moves on to the next service; failed address
///   lookups of one SRV target move on to the next target. Only when no destination at all is found does
///   the selection fail, with ``SIPTransactionError/Code/unresolvable`` and every failed question in the context.
public struct SIPTargetSelection: Sendable {
    /// Choices and bounds.
    public struct Options: Sendable, Hashable {
        /// Address types looked up for every host, in order.
        public var addressTypes: [DNSRecordType] = [.a, .aaaa]
        /// Transports probed by SRV, in order, for a `sip:` URI without transport, port or IP literal.
        public var srvTransports: [SIPTransportKind] = [.udp, .tcp, .tls]
        /// For TLS destinations found through SRV, check the certificate against the SRV target (`true`)
        /// or the URI's host (`false`).
        public var tlsServerNameFromSRVTarget = true
        /// At most this many destinations are returned.
        public var maximumDestinations = 16
        /// At most this many DNS queries per selection (CNAME re-queries included).
        public var maximumQueries = 32

        public init() {}
    }

    /// The route decided from the URI alone, before any DNS.
    public enum Plan: Sendable, Equatable {
        /// An IP literal: this single destination.
        case literal(SIPDestination)
        /// A/AAAA lookups of `host`, every address with `port`.
        case addresses(host: String, port: Int, transport: SIPTransportKind)
        /// SRV lookups of `host` for `services` in order (the first with records wins); without any SRV
        /// records, A/AAAA of `host` with `fallback`'s default port.
        case srv(host: String, services: [SIPTransportKind], fallback: SIPTransportKind)
    }

    /// What the runner must do next.
    public enum Action: Sendable, Equatable {
        /// Run this DNS query and pass the outcome to ``SIPTargetSelection/received(_:using:)``.
        case query(DNSQuestion)
        /// Done: the destinations in fail-over order (never empty).
        case finished([SIPDestination])
        /// Done: nothing usable was found, or the URI cannot be resolved.
        case failed(SIPTransactionError)
    }

    /// An address lookup to do: one host, its port, transport and certificate name.
    private struct HostJob: Sendable {
        var host: String
        var port: Int
        var transport: SIPTransportKind
        var serverName: String
        /// Types still to look up.
        var types: [DNSRecordType]
        /// The name queried for the current type (the host, or where a CNAME led).
        var queryName: String
    }

    private enum Phase: Sendable {
        case idle
        case srv(index: Int, queryName: String)
        case addresses
        case done
    }

    private let uri: SIPURI
    private let options: Options
    private let planned: Result<Plan, SIPTransactionError>
    private var phase: Phase = .idle
    private var jobs: [HostJob] = []
    private var outstanding: DNSQuestion?
    private var destinations: [SIPDestination] = []
    private var seen: Set<DestinationKey> = []
    private var problems: [String] = []
    private var queries = 0
    private var sawUnavailableService = false

    private struct DestinationKey: Hashable, Sendable {
        var transport: SIPTransportKind
        var address: SocketAddress
    }

    /// A selection for `uri` (the outbound proxy or presence server).
    public init(uri: SIPURI, options: Options = Options()) {
        self.uri = uri
        self.options = options
        do {
            planned = .success(try Self.plan(for: uri, options: options))
        } catch {
            planned = .failure(error)
        }
    }

    /// The route decided from the URI alone (transport, port, whether SRV is queried).
    public var plan: Result<Plan, SIPTransactionError> { planned }

    /// The default port of a transport: 5061 for TLS, else 5060.
    public static func defaultPort(for transport: SIPTransportKind) -> Int {
        transport == .tls ? 5061 : 5060
    }

    /// The SRV owner name prefix for a transport: `_sip._udp`, `_sip._tcp`, `_sips._tcp`.
    public static func srvService(for transport: SIPTransportKind) -> String {
        switch transport {
        case .udp: "_sip._udp"
        case .tcp: "_sip._tcp"
        case .tls: "_sips._tcp"
        }
    }

    /// RFC 3263 §4.1 and the first half of §4.2: transport, target and whether DNS SRV is needed.
    public static func plan(for uri: SIPURI, options: Options = Options()) throws(SIPTransactionError) -> Plan {
        func fail(_ why: String) -> SIPTransactionError {
            SIPTransactionError(code: .unresolvable, context: "cannot resolve \(uri): \(why)")
        }
        guard uri.scheme == .sip || uri.scheme == .sips else { throw fail("\(uri.scheme): URIs have no host to send to") }
        let secure = uri.scheme == .sips
        var target = uri.parameters["maddr"] ?? uri.host
        if target.hasPrefix("["), target.hasSuffix("]") { target = String(target.dropFirst().dropLast()) }
        target = DNSName.normalized(target)
        guard !target.isEmpty else { throw fail("no host") }
        var transport: SIPTransportKind?
        if let parameter = uri.transportParameter {
            switch parameter.lowercased() {
            case "udp":
                guard !secure else { throw fail("transport=udp with a sips: URI (TLS needs a reliable transport)") }
                transport = .udp
            case "tcp": transport = secure ? .tls : .tcp
            case "tls": transport = .tls
            default: throw fail("unsupported transport=\(parameter)")
            }
        } else if secure {
            transport = .tls
        }
        if let port = uri.port, !(1...65535).contains(port) { throw fail("port \(port) out of range") }
        if let literal = try? SocketAddress(ipAddress: target, port: uri.port ?? defaultPort(for: transport ?? .udp)) {
            return .literal(SIPDestination(transport: transport ?? .udp, address: literal, serverName: target))
        }
        if let port = uri.port {
            return .addresses(host: target, port: port, transport: transport ?? .udp)
        }
        let services = transport.map { [$0] } ?? options.srvTransports
        guard !services.isEmpty else { throw fail("no transport to look up by SRV") }
        return .srv(host: target, services: services, fallback: transport ?? .udp)
    }

    /// The first action.
    public mutating func start() -> Action {
        guard case .idle = phase else { preconditionFailure("SIPTargetSelection.start() called twice") }
        let plan: Plan
        switch planned {
        case .failure(let error):
            phase = .done
            return .failed(error)
        case .success(let p):
            plan = p
        }
        switch plan {
        case .literal(let destination):
            phase = .done
            return .finished([destination])
        case .addresses(let host, let port, let transport):
            phase = .addresses
            jobs = [job(host: host, port: port, transport: transport, serverName: host)]
            return nextAddressAction()
        case .srv(let host, let services, _):
            return querySRV(index: 0, name: Self.srvService(for: services[0]) + "." + host)
        }
    }

    /// Passes the outcome of the last ``Action/query(_:)`` in, using the system random generator for SRV weights.
    public mutating func received(_ result: Result<DNSMessage, DNSError>) -> Action {
        var generator = SystemRandomNumberGenerator()
        return received(result, using: &generator)
    }

    /// Passes the outcome of the last ``Action/query(_:)`` in; `generator` drives the SRV weighted selection.
    public mutating func received(_ result: Result<DNSMessage, DNSError>, using generator: inout some RandomNumberGenerator) -> Action {
        guard let question = outstanding else { preconditionFailure("SIPTargetSelection.received(_:) without an outstanding query") }
        outstanding = nil
        switch phase {
        case .srv(let index, _):
            return srvAnswered(question, result, index: index, using: &generator)
        case .addresses:
            return addressAnswered(question, result)
        case .idle, .done:
            preconditionFailure("SIPTargetSelection.received(_:) in a finished selection")
        }
    }

    // MARK: - SRV

    private mutating func querySRV(index: Int, name: String) -> Action {
        phase = .srv(index: index, queryName: name)
        return query(DNSQuestion(name: name, type: .srv)) ?? nextService(after: index)
    }

    private mutating func srvAnswered(
        _ question: DNSQuestion, _ result: Result<DNSMessage, DNSError>, index: Int, using generator: inout some RandomNumberGenerator
    ) -> Action {
        guard case .srv(let host, let services, _) = try? planned.get() else { preconditionFailure("SRV phase without an SRV plan") }
        let message: DNSMessage
        switch result {
        case .failure(let error):
            problems.append("\(question): \(error)")
            return nextService(after: index)
        case .success(let m):
            message = m
        }
        guard message.responseCode == .noError else {
            problems.append("\(question): \(message.responseCode)")
            return nextService(after: index)
        }
        let (records, canonicalName) = message.records(.srv, of: question.name)
        if records.isEmpty, !DNSName.equal(canonicalName, question.name) {
            return querySRV(index: index, name: canonicalName)
        }
        let srv = records.compactMap { record -> DNSSRVRecord? in
            if case .srv(let s) = record.data { s } else { nil }
        }
        guard !srv.isEmpty else {
            problems.append("\(question): no records")
            return nextService(after: index)
        }
        let usable = srv.filter { !$0.isServiceUnavailable }
        guard !usable.isEmpty else {
            problems.append("\(question): service decidedly not available (target \".\")")
            sawUnavailableService = true
            return nextService(after: index)
        }
        let transport = services[index]
        phase = .addresses
        for record in SRVOrdering.order(usable, using: &generator) {
            let serverName = transport == .tls && options.tlsServerNameFromSRVTarget ? record.target : host
            var job = job(host: record.target, port: Int(record.port), transport: transport, serverName: serverName)
            let known = options.addressTypes.flatMap { message.additionalAddresses($0, of: record.target) }
            if !known.isEmpty {
                add(known, for: job)
                job.types = []
            }
            jobs.append(job)
        }
        return nextAddressAction()
    }

    private mutating func nextService(after index: Int) -> Action {
        guard case .srv(let host, let services, let fallback) = try? planned.get() else { preconditionFailure("SRV phase without an SRV plan") }
        if index + 1 < services.count {
            return querySRV(index: index + 1, name: Self.srvService(for: services[index + 1]) + "." + host)
        }
        if sawUnavailableService { return fail() }
        // RFC 3263 §4.2: no SRV records, so A/AAAA of the host with the transport's default port.
        phase = .addresses
        jobs = [job(host: host, port: Self.defaultPort(for: fallback), transport: fallback, serverName: host)]
        return nextAddressAction()
    }

    // MARK: - Addresses

    private func job(host: String, port: Int, transport: SIPTransportKind, serverName: String) -> HostJob {
        HostJob(host: host, port: port, transport: transport, serverName: serverName, types: options.addressTypes, queryName: host)
    }

    private mutating func nextAddressAction() -> Action {
        while let job = jobs.first {
            guard destinations.count < options.maximumDestinations else { break }
            guard let type = job.types.first else {
                jobs.removeFirst()
                continue
            }
            if let action = query(DNSQuestion(name: job.queryName, type: type)) { return action }
            break
        }
        return finish()
    }

    private mutating func addressAnswered(_ question: DNSQuestion, _ result: Result<DNSMessage, DNSError>) -> Action {
        guard var job = jobs.first else { preconditionFailure("address answer without a host job") }
        let message: DNSMessage
        switch result {
        case .failure(let error):
            problems.append("\(question): \(error)")
            job.types.removeFirst()
            return nextAddressAction(with: job)
        case .success(let m):
            message = m
        }
        guard message.responseCode == .noError else {
            problems.append("\(question): \(message.responseCode)")
            // The name does not exist: no other type will have records either.
            if message.responseCode == .nameError { job.types = [] } else { job.types.removeFirst() }
            return nextAddressAction(with: job)
        }
        let (records, canonicalName) = message.records(question.type, of: question.name)
        if records.isEmpty, !DNSName.equal(canonicalName, question.name) {
            job.queryName = canonicalName
            return nextAddressAction(with: job)
        }
        let addresses = records.compactMap { record -> DNSIPAddress? in
            if case .address(let a) = record.data { a } else { nil }
        }
        if addresses.isEmpty { problems.append("\(question): no records") }
        add(addresses, for: job)
        job.types.removeFirst()
        job.queryName = job.host
        return nextAddressAction(with: job)
    }

    private mutating func nextAddressAction(with job: HostJob) -> Action {
        jobs[0] = job
        return nextAddressAction()
    }

    private mutating func add(_ addresses: [DNSIPAddress], for job: HostJob) {
        for address in addresses where destinations.count < options.maximumDestinations {
            let socketAddress = address.socketAddress(port: job.port)
            guard seen.insert(DestinationKey(transport: job.transport, address: socketAddress)).inserted else { continue }
            destinations.append(SIPDestination(transport: job.transport, address: socketAddress, serverName: job.serverName))
        }
    }

    // MARK: - Ending

    /// The query action for `question`, or `nil` when the query budget is spent.
    private mutating func query(_ question: DNSQuestion) -> Action? {
        guard queries < options.maximumQueries else {
            let note = "stopped after \(options.maximumQueries) queries"
            if problems.last != note { problems.append(note) }
            return nil
        }
        queries += 1
        outstanding = question
        return .query(question)
    }

    private mutating func finish() -> Action {
        guard !destinations.isEmpty else { return fail() }
        phase = .done
        return .finished(destinations)
    }

    private mutating func fail() -> Action {
        phase = .done
        let detail = problems.isEmpty ? "no addresses" : problems.joined(separator: "; ")
        return .failed(SIPTransactionError(code: .unresolvable, context: "cannot resolve \(uri): \(detail)"))
    }
}
