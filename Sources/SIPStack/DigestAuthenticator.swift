import SIPCore

/// Answers SIP digest challenges (RFC 3261 §22, RFC 7616, RFC 8760) as a pure state machine: a final response
/// and the request it answers in, a ``Decision`` out. No I/O, no clock.
///
/// - A 401 is answered with `Authorization` (from `WWW-Authenticate`), a 407 with `Proxy-Authorization` (from
///   `Proxy-Authenticate`); a response carrying both kinds (a forking proxy's aggregate, RFC 3261 §16.7) gets
///   both. Every challenged realm is answered, or the decision is a failure.
/// - Of several challenges for one realm the strongest supported algorithm wins (SHA-512-256, then SHA-256,
///   then MD5; the server's order breaks ties). qop `auth` is preferred, `auth-int` (with the body hash) is used
///   when it is the only one offered; no qop gives the RFC 2617 compatibility form (no cnonce, no nc).
/// - The `uri` is the Request-URI; `opaque` is echoed; `algorithm` is echoed exactly as offered (and omitted
///   when the challenge omitted it); `nc` counts per nonce (`00000001`, `00000002`, ...).
/// - The retry is the same request with the credentials added (or replacing ours for the same realm), the
///   CSeq sequence plus one and the top Via removed (the transaction layer adds one with a fresh branch).
///
/// Never a loop: a retry this authenticator made that is challenged again for the same realm fails with
/// ``SIPAuthError/Code/rejected`` — with the same nonce, or with a fresh nonce and no `stale=true` (which RFC 7616
/// §3.3 defines as "username or password invalid"; Kamailio answers a wrong password this way). `stale=true`
/// is retried once; stale again right after a stale retry is `rejected`. A chain of retries is also capped
/// at ``maximumRounds``.
///
/// The nonce state of each protection space (kind and realm) is kept, so ``authorize(_:)`` can pre-authorize
/// a later request (a refresh) with the next nonce count. Use one authenticator per next hop.
public struct DigestAuthenticator: Sendable {
    /// What to do with a final response.
    public enum Decision: Sendable, Equatable {
        /// The response is not a 401 or 407: nothing to answer.
        case notAChallenge
        /// Send this request: the one given, with credentials added or replaced, CSeq + 1, top Via removed.
        case retry(SIPRequest)
        /// The challenge cannot or must not be answered.
        case fail(SIPAuthError)
    }

    /// Which header pair a challenge uses.
    public enum ChallengeKind: Sendable, Hashable, Comparable, CustomStringConvertible {
        /// 401: `WWW-Authenticate` answered with `Authorization`.
        case server
        /// 407: `Proxy-Authenticate` answered with `Proxy-Authorization`.
        case proxy

        /// The header carrying the challenge.
        public var challengeHeader: String { self == .server ? "WWW-Authenticate" : "Proxy-Authenticate" }
        /// The header carrying the answer.
        public var authorizationHeader: String { self == .server ? "Authorization" : "Proxy-Authorization" }

        public var description: String { challengeHeader }
    }

    /// Most challenge rounds answered for one request (each round may answer several realms).
    public static let maximumRounds = 4

    /// The default cnonce: 16 random bytes as 32 lowercase hex digits.
    public static let randomCnonce: @Sendable () -> String = {
        var generator = SystemRandomNumberGenerator()
        return SIPDigest.hex((0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// The credentials offered, a realm-bound one taking precedence over one for any realm.
    public var credentials: [SIPCredential]
    private let makeCnonce: @Sendable () -> String
    /// Nonce state per protection space.
    private var spaces: [Space: NonceState] = [:]
    /// Retries this authenticator made, by request identity, oldest first (bounded).
    private var retries: [RequestID: RetryRecord] = [:]
    private var retryOrder: [RequestID] = []
    private static let retriesKept = 64

    /// `makeCnonce` makes the client nonce of each answer (injectable for tests).
    public init(credentials: [SIPCredential], makeCnonce: @escaping @Sendable () -> String = DigestAuthenticator.randomCnonce) {
        self.credentials = credentials
        self.makeCnonce = makeCnonce
    }

    /// A final `response` arrived for `request`, the request as last sent (with its Via).
    public mutating func responseReceived(_ response: SIPResponse, to request: SIPRequest) -> Decision {
        guard response.statusCode == 401 || response.statusCode == 407 else { return .notAChallenge }
        let what = "\(request.method) \(request.uri) got \(response.statusCode)"

        // Collect the Digest challenges, grouped by protection space in order of appearance.
        var groups: [(space: Space, challenges: [SIPChallenge])] = []
        var otherSchemes: [String] = []
        var unusable: [String] = []
        for kind in [ChallengeKind.proxy, .server] {
            for value in response.headers.all(kind.challengeHeader) {
                guard let challenge = try? SIPChallenge(parsing: value) else {
                    unusable.append("unparsable \(kind.challengeHeader)")
                    continue
                }
                guard challenge.isDigest else {
                    otherSchemes.append(challenge.scheme)
                    continue
                }
                guard let realm = challenge.realm, let nonce = challenge.nonce, !nonce.isEmpty else {
                    unusable.append("\(kind.challengeHeader) Digest without \(challenge.realm == nil ? "realm" : "nonce")")
                    continue
                }
                let space = Space(kind: kind, realm: realm)
                if let i = groups.firstIndex(where: { $0.space == space }) {
                    groups[i].challenges.append(challenge)
                } else {
                    groups.append((space, [challenge]))
                }
            }
        }
        if groups.isEmpty {
            if !otherSchemes.isEmpty, unusable.isEmpty {
                return fail(.unsupportedScheme, "\(what) offering only the \(otherSchemes.joined(separator: ", ")) scheme")
            }
            let detail = unusable.isEmpty ? "no WWW-Authenticate or Proxy-Authenticate" : unusable.joined(separator: ", ")
            return fail(.malformedChallenge, "\(what) with \(detail)")
        }
        guard let cseq = request.cseq, cseq.sequence < UInt32(Int32.max) else {
            return fail(.invalidRequest, "\(what), but the request has no valid CSeq to increment")
        }
        let requestID = RequestID(callID: request.callID ?? "", sequence: cseq.sequence, method: cseq.method.name)
        let record = retries[requestID]
        let round = (record?.round ?? 0) + 1
        if round > Self.maximumRounds {
            return fail(.rejected, "\(what) after \(Self.maximumRounds) rounds of challenges; giving up")
        }
        let sent = Self.sentCredentials(in: request)

        // Decide every space before changing any state.
        var answers: [(space: Space, state: NonceState, retry: RetryKind)] = []
        for (space, challenges) in groups {
            let realmText = "\(space.kind.challengeHeader) realm \"\(space.realm)\""
            let chosen: Candidate
            switch Self.choose(challenges) {
            case .chosen(let candidate): chosen = candidate
            case .impossible(let code):
                let offered = challenges.map { c in
                    "algorithm=\(c.algorithm ?? "(none)") qop=\(c.qopOptions.isEmpty ? "(none)" : c.qopOptions.joined(separator: ","))"
                }
                return fail(code, "\(what): \(realmText) offers \(offered.joined(separator: "; "))")
            }
            guard let credential = credential(for: space.realm) else {
                return fail(.noCredentials(realm: space.realm),
                            "\(what): \(realmText); credentials are configured for \(configuredRealms)")
            }
            var retryKind = RetryKind.fresh
            if let previous = sent[space] {
                let stale = chosen.challenge.stale
                if previous.nonce == chosen.nonce {
                    return fail(.rejected, "\(what): \(realmText) challenged again with the nonce just answered; "
                                + "username \"\(previous.username ?? credential.username)\" or its password is wrong")
                }
                if stale {
                    if record?.spaces[space] == .stale {
                        return fail(.rejected, "\(what): \(realmText) is stale again right after a stale retry")
                    }
                    retryKind = .stale
                } else if record?.spaces[space] != nil {
                    return fail(.rejected, "\(what): \(realmText) challenged again with a fresh nonce and no stale=true; "
                                + "username \"\(previous.username ?? credential.username)\" or its password is wrong")
                }
                // Otherwise the credentials were pre-authorized or written by the caller: answer once.
            }
            var state = NonceState(credential: credential, candidate: chosen)
            if let known = spaces[space], known.nonce == state.nonce, known.credential == credential {
                state.nc = known.nc
                state.sessionCnonce = known.sessionCnonce
            }
            answers.append((space, state, retryKind))
        }

        // Commit and build the retry.
        var retry = request
        var fields: [(String, String)] = []
        var viaDone = false
        let answered = Set(answers.map(\.space))
        for (name, value) in request.headers {
            switch name {
            case "Via" where !viaDone:
                viaDone = true
                let rest = SIPHeaders([("Via", value)]).all("Via").dropFirst()
                if !rest.isEmpty { fields.append((name, rest.joined(separator: ", "))) }
            case "CSeq":
                fields.append((name, SIPCSeq(sequence: cseq.sequence + 1, method: cseq.method).description))
            case "Authorization", "Proxy-Authorization":
                let kind: ChallengeKind = name == "Authorization" ? .server : .proxy
                guard let parsed = try? SIPCredentials(parsing: value), let realm = parsed.realm else {
                    fields.append((name, value))
                    continue
                }
                let space = Space(kind: kind, realm: realm)
                if answered.contains(space) { continue }
                // Ours for a space not challenged now: keep it, with the next nonce count.
                if let known = spaces[space], parsed.nonce == known.nonce, parsed.username == known.credential.username {
                    fields.append((name, nextCredentials(for: space, request: request).description))
                } else {
                    fields.append((name, value))
                }
            default:
                fields.append((name, value))
            }
        }
        var spacesRecord: [Space: RetryKind] = [:]
        for answer in answers {
            spaces[answer.space] = answer.state
            fields.append((answer.space.kind.authorizationHeader, nextCredentials(for: answer.space, request: request).description))
            spacesRecord[answer.space] = answer.retry
        }
        retry.headers = SIPHeaders(fields)
        remember(RequestID(callID: requestID.callID, sequence: cseq.sequence + 1, method: requestID.method),
                 RetryRecord(round: round, spaces: spacesRecord))
        return .retry(retry)
    }

    /// Pre-authorizes `request` (e.g. a refresh): adds credentials for every protection space answered
    /// before, with its last nonce and the next nonce count, replacing any credentials for those realms.
    /// A request with no known space is returned unchanged. If the nonce has expired the server answers
    /// `stale=true` (or a fresh challenge), which ``responseReceived(_:to:)`` answers once.
    public mutating func authorize(_ request: SIPRequest) -> SIPRequest {
        guard !spaces.isEmpty else { return request }
        let known = spaces.keys.sorted()
        var fields: [(String, String)] = []
        for (name, value) in request.headers {
            if name == "Authorization" || name == "Proxy-Authorization",
               let realm = (try? SIPCredentials(parsing: value))?.realm,
               spaces[Space(kind: name == "Authorization" ? .server : .proxy, realm: realm)] != nil {
                continue
            }
            fields.append((name, value))
        }
        for space in known {
            fields.append((space.kind.authorizationHeader, nextCredentials(for: space, request: request).description))
        }
        var authorized = request
        authorized.headers = SIPHeaders(fields)
        return authorized
    }

    /// The realms with nonce state, per kind (for status and tests).
    public var knownRealms: [(kind: ChallengeKind, realm: String)] {
        spaces.keys.sorted().map { ($0.kind, $0.realm) }
    }

    // MARK: - Internals

    /// A protection space: header kind and realm.
    struct Space: Hashable, Comparable, Sendable {
        var kind: ChallengeKind
        var realm: String

        static func < (a: Space, b: Space) -> Bool { (a.kind, a.realm) < (b.kind, b.realm) }
    }

    /// A chosen challenge with what answering it takes.
    struct Candidate: Sendable {
        var challenge: SIPChallenge
        var nonce: String
        var algorithm: SIPDigest.Algorithm
        var qop: String?
    }

    /// The outcome of choosing among a realm's challenges.
    enum Choice: Sendable {
        case chosen(Candidate)
        case impossible(SIPAuthError.Code)
    }

    /// What is needed to answer a protection space again.
    struct NonceState: Sendable {
        var credential: SIPCredential
        var realm: String
        var nonce: String
        var opaque: String?
        var algorithm: SIPDigest.Algorithm
        /// The `algorithm` token exactly as offered; nil if the challenge had none.
        var algorithmToken: String?
        var qop: String?
        /// The last nonce count used with this nonce.
        var nc: UInt32 = 0
        /// The cnonce of a `-sess` algorithm's HA1, fixed for the nonce's lifetime (RFC 7616 §3.4.2).
        var sessionCnonce: String?

        init(credential: SIPCredential, candidate: Candidate) {
            self.credential = credential
            realm = candidate.challenge.realm ?? ""
            nonce = candidate.nonce
            opaque = candidate.challenge.opaque
            algorithm = candidate.algorithm
            algorithmToken = candidate.challenge.algorithm
            qop = candidate.qop
        }
    }

    /// Identifies a request of ours: Call-ID, CSeq sequence and method.
    struct RequestID: Hashable, Sendable {
        var callID: String
        var sequence: UInt32
        var method: String
    }

    enum RetryKind: Sendable, Equatable {
        /// Answering a first challenge (or one to pre-authorized credentials).
        case fresh
        /// Answering `stale=true`.
        case stale
    }

    struct RetryRecord: Sendable {
        /// 1 for the first retry of a request, 2 for the retry of that retry...
        var round: Int
        var spaces: [Space: RetryKind]
    }

    private func fail(_ code: SIPAuthError.Code, _ context: String) -> Decision {
        .fail(SIPAuthError(code: code, context: context))
    }

    private var configuredRealms: String {
        if credentials.isEmpty { return "no realm (none configured)" }
        return credentials.map { $0.realm.map { "\"\($0)\"" } ?? "any realm" }.joined(separator: ", ")
    }

    /// A credential bound to `realm`, else one for any realm.
    private func credential(for realm: String) -> SIPCredential? {
        credentials.first { $0.realm == realm } ?? credentials.first { $0.realm == nil }
    }

    /// Strength order of the hash functions.
    private static func rank(_ algorithm: SIPDigest.Algorithm) -> Int {
        switch algorithm {
        case .md5, .md5Sess: 1
        case .sha256, .sha256Sess: 2
        case .sha512_256, .sha512_256Sess: 3
        }
    }

    /// The strongest answerable challenge of one realm, or why none is.
    private static func choose(_ challenges: [SIPChallenge]) -> Choice {
        var best: Candidate?
        var qopProblem = false
        for challenge in challenges {
            guard let algorithm = challenge.digestAlgorithm, let nonce = challenge.nonce else { continue }
            let offered = challenge.qopOptions.map { $0.lowercased() }
            let qop: String?
            if offered.isEmpty {
                qop = nil
            } else if offered.contains("auth") {
                qop = "auth"
            } else if offered.contains("auth-int") {
                qop = "auth-int"
            } else {
                qopProblem = true
                continue
            }
            // A -sess HA1 needs a cnonce, which only a qop carries.
            if algorithm.isSession, qop == nil { continue }
            if let b = best, rank(b.algorithm) >= rank(algorithm) { continue }
            best = Candidate(challenge: challenge, nonce: nonce, algorithm: algorithm, qop: qop)
        }
        if let best { return .chosen(best) }
        return .impossible(qopProblem ? .unsupportedQop : .unsupportedAlgorithm)
    }

    /// Our credentials in a request, by protection space.
    private static func sentCredentials(in request: SIPRequest) -> [Space: SIPCredentials] {
        var out: [Space: SIPCredentials] = [:]
        for kind in [ChallengeKind.server, .proxy] {
            for value in request.headers.all(kind.authorizationHeader) {
                guard let c = try? SIPCredentials(parsing: value), let realm = c.realm else { continue }
                out[Space(kind: kind, realm: realm)] = c
            }
        }
        return out
    }

    /// Credentials for `space` and `request`, consuming the next nonce count.
    private mutating func nextCredentials(for space: Space, request: SIPRequest) -> SIPCredentials {
        var state = spaces[space]!
        state.nc = state.nc == .max ? .max : state.nc + 1
        var cnonce: String?
        if state.qop != nil {
            if state.algorithm.isSession {
                if state.sessionCnonce == nil { state.sessionCnonce = makeCnonce() }
                cnonce = state.sessionCnonce
            } else {
                cnonce = makeCnonce()
            }
        }
        spaces[space] = state
        let uri = request.uri.description
        let nc = state.qop == nil ? nil : SIPDigest.formatNC(state.nc)
        let response = SIPDigest.response(
            algorithm: state.algorithm, username: state.credential.username, realm: state.realm,
            password: state.credential.password, method: request.method.name, uri: uri, nonce: state.nonce,
            cnonce: cnonce, nc: nc, qop: state.qop, body: state.qop == "auth-int" ? request.body : [])
        // nonce before cnonce: some parsers (sipp 3.6) find "nonce" inside "cnonce".
        var credentials = SIPCredentials(username: state.credential.username, realm: state.realm, nonce: state.nonce,
                                         uri: uri, response: response)
        if let token = state.algorithmToken {
            credentials.parameters.append(SIPAuthParameter("algorithm", token, quoted: false))
        }
        if let cnonce { credentials.parameters.append(SIPAuthParameter("cnonce", cnonce, quoted: true)) }
        if let opaque = state.opaque { credentials.parameters.append(SIPAuthParameter("opaque", opaque, quoted: true)) }
        if let qop = state.qop { credentials.parameters.append(SIPAuthParameter("qop", qop, quoted: false)) }
        if let nc { credentials.parameters.append(SIPAuthParameter("nc", nc, quoted: false)) }
        return credentials
    }

    private mutating func remember(_ id: RequestID, _ record: RetryRecord) {
        if retries.updateValue(record, forKey: id) == nil { retryOrder.append(id) }
        while retryOrder.count > Self.retriesKept {
            retries[retryOrder.removeFirst()] = nil
        }
    }
}
