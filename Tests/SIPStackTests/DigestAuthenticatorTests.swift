import SIPCore
import Testing
@testable import SIPStack

/// DigestAuthenticator: every Authorization produced is parsed back and its `response` recomputed by hand
/// from HA1/HA2 (RFC 7616 §3.4.1), with SIPDigest only providing the hash function.
@Suite struct DigestAuthenticatorTests {
    static let password = "S3cret-Pa55word!"
    static let alice = SIPCredential(username: "alice", password: password)

    /// Deterministic cnonces: c1, c2, ...
    final class Cnonces: @unchecked Sendable {
        private var n = 0
        func next() -> String { n += 1; return "c\(n)" }
    }

    func authenticator(_ credentials: [SIPCredential] = [alice]) -> DigestAuthenticator {
        let cnonces = Cnonces()
        return DigestAuthenticator(credentials: credentials, makeCnonce: { cnonces.next() })
    }

    func request(_ method: SIPMethod = .publish, uri: String = "sip:alice@lamplighter.test", cseq: UInt32 = 7,
                 body: String = "") throws -> SIPRequest {
        try SIPRequest(
            method: method, uri: SIPURI(parsing: uri),
            headers: SIPHeaders([
                ("Via", "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKfirst;rport"),
                ("Max-Forwards", "70"),
                ("From", "<sip:alice@lamplighter.test>;tag=f1"),
                ("To", "<sip:alice@lamplighter.test>"),
                ("Call-ID", "call-1@127.0.0.1"),
                ("CSeq", "\(cseq) \(method.name)"),
                ("Event", "presence"),
                ("Expires", "3600"),
            ]),
            body: Array(body.utf8))
    }

    func challenge(_ status: Int, to request: SIPRequest, _ challenges: String...) -> SIPResponse {
        var response = SIPResponse(replyingTo: request, statusCode: status, toTag: "srv")
        for c in challenges { response.headers.add(status == 407 ? "Proxy-Authenticate" : "WWW-Authenticate", c) }
        return response
    }

    /// The retried request, or a recorded failure.
    func retried(_ decision: DigestAuthenticator.Decision, sourceLocation: SourceLocation = #_sourceLocation) throws -> SIPRequest {
        guard case .retry(let r) = decision else {
            Issue.record("expected a retry, got \(decision)", sourceLocation: sourceLocation)
            throw Stop()
        }
        return r
    }

    struct Stop: Error {}

    func error(_ decision: DigestAuthenticator.Decision, sourceLocation: SourceLocation = #_sourceLocation) throws -> SIPAuthError {
        guard case .fail(let e) = decision else {
            Issue.record("expected a failure, got \(decision)", sourceLocation: sourceLocation)
            throw Stop()
        }
        #expect(!e.description.contains(Self.password), sourceLocation: sourceLocation)
        #expect(!String(reflecting: decision).contains(Self.password), sourceLocation: sourceLocation)
        return e
    }

    /// RFC 7616 §3.4.1 by hand.
    static func expectedResponse(_ algorithm: SIPDigest.Algorithm, username: String = "alice", realm: String,
                                 password: String = password, method: String, uri: String, nonce: String,
                                 nc: String?, cnonce: String?, qop: String?, body: [UInt8] = []) -> String {
        func h(_ s: String) -> String { SIPDigest.hexHash(algorithm, s) }
        var ha1 = h("\(username):\(realm):\(password)")
        if algorithm.isSession { ha1 = h("\(ha1):\(nonce):\(cnonce ?? "")") }
        let ha2 = qop == "auth-int" ? h("\(method):\(uri):\(SIPDigest.hexHash(algorithm, body))") : h("\(method):\(uri)")
        guard let qop else { return h("\(ha1):\(nonce):\(ha2)") }
        return h("\(ha1):\(nonce):\(nc ?? ""):\(cnonce ?? ""):\(qop):\(ha2)")
    }

    /// Parses the one `header` of `request` and checks its response against the hand computation.
    @discardableResult
    func verify(_ request: SIPRequest, header: String = "Authorization", realm: String, algorithm: SIPDigest.Algorithm,
                password: String = password, sourceLocation: SourceLocation = #_sourceLocation) throws -> SIPCredentials {
        let values = request.headers.all(header).compactMap { try? SIPCredentials(parsing: $0) }.filter { $0.realm == realm }
        #expect(values.count == 1, "one \(header) for realm \(realm) in \(request.headers)", sourceLocation: sourceLocation)
        let c = try #require(values.first, sourceLocation: sourceLocation)
        #expect(c.scheme == "Digest", sourceLocation: sourceLocation)
        #expect(c.uri == request.uri.description, "uri is the Request-URI", sourceLocation: sourceLocation)
        let expected = Self.expectedResponse(algorithm, username: c.username ?? "", realm: realm, password: password,
                                             method: request.method.name, uri: c.uri ?? "", nonce: c.nonce ?? "",
                                             nc: c.nc, cnonce: c.cnonce, qop: c.qop, body: request.body)
        #expect(c.response == expected, sourceLocation: sourceLocation)
        return c
    }

    // MARK: - Vectors and forms

    /// The RFC 7616 §3.9.1 example's parameters (Mufasa, "Circle of Life", its nonce, cnonce and opaque), for MD5
    /// and SHA-256, on a SIP Request-URI; first the known answer of the example itself.
    @Test(arguments: [SIPDigest.Algorithm.md5, .sha256])
    func rfc7616Example(algorithm: SIPDigest.Algorithm) throws {
        let nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
        let cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
        let opaque = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
        let realm = "http-auth@example.org"
        let known = Self.expectedResponse(algorithm, username: "Mufasa", realm: realm, password: "Circle of Life",
                                          method: "GET", uri: "/dir/index.html", nonce: nonce, nc: "00000001",
                                          cnonce: cnonce, qop: "auth")
        #expect(known == (algorithm == .md5 ? "8ca523f5e9506fed4657c9700eebdbec"
                                            : "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"))

        var auth = DigestAuthenticator(credentials: [SIPCredential(username: "Mufasa", password: "Circle of Life")],
                                       makeCnonce: { cnonce })
        let req = try request(.subscribe, uri: "sip:bob@example.org")
        let r = try retried(auth.responseReceived(challenge(401, to: req,
            #"Digest realm="\#(realm)", qop="auth, auth-int", algorithm=\#(algorithm.name), nonce="\#(nonce)", opaque="\#(opaque)""#), to: req))
        let c = try verify(r, realm: realm, algorithm: algorithm, password: "Circle of Life")
        #expect(c.username == "Mufasa")
        #expect(c.nonce == nonce)
        #expect(c.cnonce == cnonce)
        #expect(c.opaque == opaque)
        #expect(c.qop == "auth")
        #expect(c.nc == "00000001")
        #expect(c.algorithm == algorithm.name)
        #expect(c.response == Self.expectedResponse(algorithm, username: "Mufasa", realm: realm, password: "Circle of Life",
                                                    method: "SUBSCRIBE", uri: "sip:bob@example.org", nonce: nonce,
                                                    nc: "00000001", cnonce: cnonce, qop: "auth"))
        // Quoting as RFC 7616 §3.4: algorithm, qop and nc unquoted, the rest quoted; nonce before cnonce.
        let quoting = Dictionary(uniqueKeysWithValues: c.parameters.map { ($0.name, $0.isQuoted) })
        #expect(quoting == ["username": true, "realm": true, "nonce": true, "uri": true, "response": true, "algorithm": false,
                            "cnonce": true, "opaque": true, "qop": false, "nc": false])
        let names = c.parameters.map(\.name)
        #expect(try #require(names.firstIndex(of: "nonce")) < (try #require(names.firstIndex(of: "cnonce"))))
    }

    @Test func noQopGivesTheRFC2617Form() throws {
        var auth = authenticator()
        let req = try request()
        let r = try retried(auth.responseReceived(challenge(401, to: req, #"Digest realm="lamplighter.test", nonce="n1""#), to: req))
        let c = try verify(r, realm: "lamplighter.test", algorithm: .md5)
        #expect(c.qop == nil && c.cnonce == nil && c.nc == nil)
        #expect(c.algorithm == nil, "no algorithm offered, none echoed")
        #expect(c.response == SIPDigest.hexHash(.md5, "\(SIPDigest.hexHash(.md5, "alice:lamplighter.test:\(Self.password)")):n1:"
                             + SIPDigest.hexHash(.md5, "PUBLISH:sip:alice@lamplighter.test")))
    }

    @Test func algorithmIsEchoedAsOffered() throws {
        var auth = authenticator()
        let req = try request()
        let r = try retried(auth.responseReceived(challenge(401, to: req, #"Digest realm="r", nonce="n", algorithm=sha-256, qop="auth""#), to: req))
        let c = try verify(r, realm: "r", algorithm: .sha256)
        #expect(c.algorithm == "sha-256")
    }

    @Test func sessAlgorithmsUseTheCnonceInHA1() throws {
        var auth = authenticator()
        let req = try request()
        let r = try retried(auth.responseReceived(challenge(401, to: req, #"Digest realm="r", nonce="n", algorithm=SHA-256-sess, qop="auth""#), to: req))
        let c = try verify(r, realm: "r", algorithm: .sha256Sess)
        #expect(c.algorithm == "SHA-256-sess")
        #expect(c.cnonce == "c1")
    }

    @Test func authIntWhenOnlyAuthIntIsOfferedHashesTheBody() throws {
        var auth = authenticator()
        let req = try request(body: "<presence/>")
        let r = try retried(auth.responseReceived(challenge(401, to: req, #"Digest realm="r", nonce="n", algorithm=MD5, qop="auth-int""#), to: req))
        let c = try verify(r, realm: "r", algorithm: .md5)
        #expect(c.qop == "auth-int")
        #expect(r.body == Array("<presence/>".utf8))
        // auth preferred when both are offered.
        var auth2 = authenticator()
        let r2 = try retried(auth2.responseReceived(challenge(401, to: req, #"Digest realm="r", nonce="n", qop="auth-int,auth""#), to: req))
        #expect(try verify(r2, realm: "r", algorithm: .md5).qop == "auth")
    }

    @Test func prefersSHA256OverMD5WhateverTheOrder() throws {
        for order in [["MD5", "SHA-256"], ["SHA-256", "MD5"]] {
            var auth = authenticator()
            let req = try request()
            let response = challenge(401, to: req, #"Digest realm="r", nonce="n-\#(order[0])", algorithm=\#(order[0]), qop="auth""#,
                                     #"Digest realm="r", nonce="n-\#(order[1])", algorithm=\#(order[1]), qop="auth""#)
            let r = try retried(auth.responseReceived(response, to: req))
            let c = try verify(r, realm: "r", algorithm: .sha256)
            #expect(c.algorithm == "SHA-256")
            #expect(c.nonce == "n-SHA-256")
            #expect(r.headers.fieldCount("Authorization") == 1, "one answer per realm")
        }
        // An unsupported one next to a supported one is skipped.
        var auth = authenticator()
        let req = try request()
        let r = try retried(auth.responseReceived(challenge(401, to: req, #"Digest realm="r", nonce="x", algorithm=SHA-1"#,
                                                            #"Digest realm="r", nonce="y", algorithm=MD5"#), to: req))
        #expect(try verify(r, realm: "r", algorithm: .md5).nonce == "y")
    }

    // MARK: - The retried request

    @Test func retryIsTheSameRequestWithCSeqPlusOneAndNoTopVia() throws {
        var auth = authenticator()
        var req = try request(cseq: 41, body: "doc")
        req.headers.add("Via", "SIP/2.0/UDP proxy.example:5060;branch=z9hG4bKsecond")
        let r = try retried(auth.responseReceived(challenge(401, to: req, #"Digest realm="r", nonce="n", qop="auth""#), to: req))
        #expect(r.cseq == SIPCSeq(sequence: 42, method: .publish))
        #expect(r.headers.all("Via") == ["SIP/2.0/UDP proxy.example:5060;branch=z9hG4bKsecond"])
        #expect(r.method == req.method && r.uri == req.uri && r.body == req.body)
        var rest = r.headers
        rest.remove("Authorization")
        rest.remove("CSeq")
        var original = req.headers
        original.remove("CSeq")
        original.remove("Via")
        original.add("Via", "SIP/2.0/UDP proxy.example:5060;branch=z9hG4bKsecond")
        #expect(Set(rest.fields) == Set(original.fields), "everything else unchanged")
        #expect(r.headers.first("Call-ID") == "call-1@127.0.0.1")
        #expect(r.from?.tag == "f1" && r.to?.tag == nil)

        // A single Via field with two values loses only the first.
        var auth2 = authenticator()
        var two = try request()
        two.headers.set("Via", "SIP/2.0/UDP a:1;branch=z9hG4bKa, SIP/2.0/UDP b:2;branch=z9hG4bKb")
        let r2 = try retried(auth2.responseReceived(challenge(401, to: two, #"Digest realm="r", nonce="n""#), to: two))
        #expect(r2.headers.all("Via") == ["SIP/2.0/UDP b:2;branch=z9hG4bKb"])
        #expect(r2.headers.fields.first?.name == "Via", "Via keeps its place")
    }

    @Test func status401UsesAuthorizationAnd407ProxyAuthorization() throws {
        let req = try request()
        var auth = authenticator()
        let r401 = try retried(auth.responseReceived(challenge(401, to: req, #"Digest realm="r", nonce="n", qop="auth""#), to: req))
        #expect(r401.headers.contains("Authorization") && !r401.headers.contains("Proxy-Authorization"))
        try verify(r401, realm: "r", algorithm: .md5)

        var auth2 = authenticator()
        let r407 = try retried(auth2.responseReceived(challenge(407, to: req, #"Digest realm="proxy", nonce="p", qop="auth""#), to: req))
        #expect(r407.headers.contains("Proxy-Authorization") && !r407.headers.contains("Authorization"))
        try verify(r407, header: "Proxy-Authorization", realm: "proxy", algorithm: .md5)

        // The header decides, not the status: a Proxy-Authenticate (even on a 401) gets a Proxy-Authorization.
        var auth3 = authenticator()
        var wrongHeader = SIPResponse(replyingTo: req, statusCode: 401)
        wrongHeader.headers.add("Proxy-Authenticate", #"Digest realm="r", nonce="n""#)
        let r3 = try retried(auth3.responseReceived(wrongHeader, to: req))
        #expect(r3.headers.contains("Proxy-Authorization") && !r3.headers.contains("Authorization"))
    }

    @Test func then401AfterA407KeepsTheProxyCredentialsWithTheNextNonceCount() throws {
        var auth = authenticator()
        let req = try request()
        let r1 = try retried(auth.responseReceived(challenge(407, to: req, #"Digest realm="proxy", nonce="p", qop="auth""#), to: req))
        #expect(try verify(r1, header: "Proxy-Authorization", realm: "proxy", algorithm: .md5).nc == "00000001")
        let r2 = try retried(auth.responseReceived(challenge(401, to: r1, #"Digest realm="server", nonce="s", qop="auth""#), to: r1))
        #expect(r2.cseq?.sequence == 9)
        #expect(try verify(r2, realm: "server", algorithm: .md5).nc == "00000001")
        let proxy = try verify(r2, header: "Proxy-Authorization", realm: "proxy", algorithm: .md5)
        #expect(proxy.nc == "00000002")
        #expect(proxy.nonce == "p")
    }

    @Test func answersEveryRealmOfTheResponse() throws {
        var auth = authenticator([SIPCredential(username: "edge-user", password: Self.password, realm: "edge"), Self.alice])
        let req = try request()
        let response = challenge(407, to: req, #"Digest realm="edge", nonce="e1", qop="auth", algorithm=SHA-256"#,
                                 #"Digest realm="core", nonce="c1", qop="auth""#)
        let r = try retried(auth.responseReceived(response, to: req))
        #expect(r.headers.fieldCount("Proxy-Authorization") == 2)
        #expect(try verify(r, header: "Proxy-Authorization", realm: "edge", algorithm: .sha256).username == "edge-user")
        #expect(try verify(r, header: "Proxy-Authorization", realm: "core", algorithm: .md5).username == "alice")

        // A forking proxy's 407 with a downstream WWW-Authenticate too (RFC 3261 §16.7): both answered.
        var auth2 = authenticator()
        var mixed = challenge(407, to: req, #"Digest realm="edge", nonce="e1""#)
        mixed.headers.add("WWW-Authenticate", #"Digest realm="uas", nonce="u1", qop="auth""#)
        let r2 = try retried(auth2.responseReceived(mixed, to: req))
        try verify(r2, header: "Proxy-Authorization", realm: "edge", algorithm: .md5)
        try verify(r2, realm: "uas", algorithm: .md5)
        #expect(auth2.knownRealms.map(\.realm) == ["uas", "edge"])
    }

    // MARK: - Stale, rejection, loops

    @Test func sameNonceChallengedAgainIsRejected() throws {
        var auth = authenticator()
        let req = try request()
        let first = challenge(401, to: req, #"Digest realm="lamplighter.test", nonce="same", qop="auth""#)
        let r = try retried(auth.responseReceived(first, to: req))
        let e = try error(auth.responseReceived(challenge(401, to: r, #"Digest realm="lamplighter.test", nonce="same", qop="auth""#), to: r))
        #expect(e.code == .rejected)
        #expect(e.context.contains("lamplighter.test") && e.context.contains("alice"))
    }

    @Test func freshNonceWithoutStaleAfterOurRetryIsRejected() throws {
        // Kamailio answers a wrong password with a new nonce and no stale: must not loop.
        var auth = authenticator()
        let req = try request()
        let r = try retried(auth.responseReceived(challenge(401, to: req, #"Digest realm="r", nonce="n1", qop="auth""#), to: req))
        let e = try error(auth.responseReceived(challenge(401, to: r, #"Digest realm="r", nonce="n2", qop="auth""#), to: r))
        #expect(e.code == .rejected)
    }

    @Test func staleIsRetriedOnceWithTheNewNonce() throws {
        var auth = authenticator()
        let req = try request()
        let r1 = try retried(auth.responseReceived(challenge(401, to: req, #"Digest realm="r", nonce="n1", qop="auth""#), to: req))
        #expect(try verify(r1, realm: "r", algorithm: .md5).nc == "00000001")
        let r2 = try retried(auth.responseReceived(challenge(401, to: r1, #"Digest realm="r", nonce="n2", qop="auth", stale=true"#), to: r1))
        let c2 = try verify(r2, realm: "r", algorithm: .md5)
        #expect(c2.nonce == "n2" && c2.nc == "00000001")
        #expect(r2.cseq?.sequence == 9)
        #expect(r2.headers.fieldCount("Authorization") == 1, "replaced, not added")
        // Stale again right after the stale retry: rejected, not a loop.
        let e = try error(auth.responseReceived(challenge(401, to: r2, #"Digest realm="r", nonce="n3", qop="auth", stale=TRUE"#), to: r2))
        #expect(e.code == .rejected)
        // Stale with the nonce just answered makes no sense: rejected.
        var auth2 = authenticator()
        let s1 = try retried(auth2.responseReceived(challenge(401, to: req, #"Digest realm="r", nonce="n1""#), to: req))
        #expect(try error(auth2.responseReceived(challenge(401, to: s1, #"Digest realm="r", nonce="n1", stale=true"#), to: s1)).code == .rejected)
    }

    @Test func preAuthorizedRefreshCountsTheNonceAndIsAnsweredOnceWhenExpired() throws {
        var auth = authenticator()
        let req = try request()
        #expect(auth.authorize(req) == req, "nothing known yet")
        _ = try retried(auth.responseReceived(challenge(401, to: req, #"Digest realm="r", nonce="n1", qop="auth", opaque="o""#), to: req))
        var refresh = try request(cseq: 20)
        refresh.headers.set("Expires", "600")
        let pre = auth.authorize(refresh)
        let c = try verify(pre, realm: "r", algorithm: .md5)
        #expect(c.nonce == "n1" && c.nc == "00000002" && c.opaque == "o" && c.cnonce == "c2")
        #expect(pre.cseq?.sequence == 20 && pre.headers.all("Via") == refresh.headers.all("Via"), "authorize changes only credentials")
        #expect(try verify(auth.authorize(pre), realm: "r", algorithm: .md5).nc == "00000003", "replaced, counting on")

        // The nonce expired on the server: a fresh challenge to pre-authorized credentials gets one retry...
        let r = try retried(auth.responseReceived(challenge(401, to: pre, #"Digest realm="r", nonce="n9", qop="auth""#), to: pre))
        #expect(try verify(r, realm: "r", algorithm: .md5).nc == "00000001")
        // ...and that retry challenged again is a rejection.
        #expect(try error(auth.responseReceived(challenge(401, to: r, #"Digest realm="r", nonce="n10", qop="auth""#), to: r)).code == .rejected)
    }

    @Test func aChainOfNewRealmsStopsAfterMaximumRounds() throws {
        var auth = authenticator()
        var req = try request()
        for round in 1...DigestAuthenticator.maximumRounds {
            req = try retried(auth.responseReceived(challenge(407, to: req, #"Digest realm="realm\#(round)", nonce="n""#), to: req))
        }
        let e = try error(auth.responseReceived(challenge(407, to: req, #"Digest realm="one-more", nonce="n""#), to: req))
        #expect(e.code == .rejected)
    }

    // MARK: - Failures

    @Test func realmBoundCredentialsDoNotAnswerAnotherRealm() throws {
        var auth = authenticator([SIPCredential(username: "alice", password: Self.password, realm: "other.test")])
        let req = try request()
        let e = try error(auth.responseReceived(challenge(401, to: req, #"Digest realm="lamplighter.test", nonce="n""#), to: req))
        #expect(e.code == .noCredentials(realm: "lamplighter.test"))
        #expect(e.context.contains("other.test"))

        var none = authenticator([])
        #expect(try error(none.responseReceived(challenge(401, to: req, #"Digest realm="x", nonce="n""#), to: req)).code == .noCredentials(realm: "x"))

        // A realm-bound credential wins over one for any realm.
        var both = authenticator([Self.alice, SIPCredential(username: "bound", password: "other-pw", realm: "lamplighter.test")])
        let r = try retried(both.responseReceived(challenge(401, to: req, #"Digest realm="lamplighter.test", nonce="n""#), to: req))
        #expect(try verify(r, realm: "lamplighter.test", algorithm: .md5, password: "other-pw").username == "bound")

        // One unanswerable realm fails the whole response.
        var partial = authenticator([SIPCredential(username: "a", password: Self.password, realm: "edge")])
        let e2 = try error(partial.responseReceived(challenge(407, to: req, #"Digest realm="edge", nonce="n""#, #"Digest realm="core", nonce="m""#), to: req))
        #expect(e2.code == .noCredentials(realm: "core"))
    }

    @Test func unsupportedAlgorithmsAndQop() throws {
        let req = try request()
        var auth = authenticator()
        #expect(try error(auth.responseReceived(challenge(401, to: req, #"Digest realm="r", nonce="n", algorithm=SHA-1"#), to: req)).code == .unsupportedAlgorithm)
        #expect(try error(auth.responseReceived(challenge(401, to: req, #"Digest realm="r", nonce="n", algorithm=AKAv1-MD5"#), to: req)).code == .unsupportedAlgorithm)
        // -sess needs a qop (the cnonce).
        #expect(try error(auth.responseReceived(challenge(401, to: req, #"Digest realm="r", nonce="n", algorithm=MD5-sess"#), to: req)).code == .unsupportedAlgorithm)
        let qop = try error(auth.responseReceived(challenge(401, to: req, #"Digest realm="r", nonce="n", qop="auth-conf""#), to: req))
        #expect(qop.code == .unsupportedQop)
        #expect(qop.context.contains("auth-conf"))
        #expect(try error(auth.responseReceived(challenge(401, to: req, #"Basic realm="r""#), to: req)).code == .unsupportedScheme)
        #expect(auth.knownRealms.isEmpty, "failures keep no state")
    }

    @Test func malformedChallenges() throws {
        let req = try request()
        var auth = authenticator()
        #expect(try error(auth.responseReceived(SIPResponse(replyingTo: req, statusCode: 401), to: req)).code == .malformedChallenge)
        #expect(try error(auth.responseReceived(SIPResponse(replyingTo: req, statusCode: 407), to: req)).code == .malformedChallenge)
        #expect(try error(auth.responseReceived(challenge(401, to: req, #"Digest realm="r""#), to: req)).code == .malformedChallenge)
        #expect(try error(auth.responseReceived(challenge(401, to: req, #"Digest nonce="n""#), to: req)).code == .malformedChallenge)
        #expect(try error(auth.responseReceived(challenge(401, to: req, #"Digest realm="unterminated"#), to: req)).code == .malformedChallenge)
        // A broken challenge next to a good one is skipped.
        let r = try retried(auth.responseReceived(challenge(401, to: req, #"Digest realm="r""#, #"Digest realm="r", nonce="n""#), to: req))
        try verify(r, realm: "r", algorithm: .md5)
        // No CSeq: nothing to increment.
        var noCSeq = req
        noCSeq.headers.remove("CSeq")
        #expect(try error(auth.responseReceived(challenge(401, to: noCSeq, #"Digest realm="r", nonce="n""#), to: noCSeq)).code == .invalidRequest)
    }

    @Test(arguments: [100, 180, 200, 202, 403, 408, 423, 481, 500, 503, 603])
    func otherStatusesAreNotChallenges(status: Int) throws {
        var auth = authenticator()
        let req = try request()
        var response = SIPResponse(replyingTo: req, statusCode: status)
        response.headers.add("WWW-Authenticate", #"Digest realm="r", nonce="n""#)
        #expect(auth.responseReceived(response, to: req) == .notAChallenge)
    }

    @Test func passwordsAppearInNoDescription() throws {
        let credential = SIPCredential(username: "alice", password: Self.password, realm: "lamplighter.test")
        #expect(!"\(credential)".contains(Self.password))
        #expect(!String(reflecting: credential).contains(Self.password))
        var dumped = ""
        dump(credential, to: &dumped)
        #expect(!dumped.contains(Self.password))
        #expect(!"\([credential])".contains(Self.password))

        let req = try request()
        var auth = authenticator([credential])
        let bodies = [
            #"Digest realm="elsewhere", nonce="n""#, #"Digest realm="lamplighter.test", nonce="n", algorithm=SHA-1"#,
            #"Digest realm="lamplighter.test", nonce="n", qop="x""#, #"Digest realm="lamplighter.test""#, "Basic realm=\"x\"",
        ]
        for body in bodies {
            let e = try error(auth.responseReceived(challenge(401, to: req, body), to: req))
            #expect(!e.context.contains(Self.password) && !"\(e.code)".contains(Self.password))
        }
        let r = try retried(auth.responseReceived(challenge(401, to: req, #"Digest realm="lamplighter.test", nonce="n""#), to: req))
        let rejected = try error(auth.responseReceived(challenge(401, to: r, #"Digest realm="lamplighter.test", nonce="n""#), to: r))
        #expect(!"\(rejected)".contains(Self.password))
        #expect(!r.headers.fields.contains { $0.value.contains(Self.password) }, "not on the wire either")
    }

    @Test func defaultCnonceIsRandomHex() throws {
        var auth = DigestAuthenticator(credentials: [Self.alice])
        let req = try request()
        let r = try retried(auth.responseReceived(challenge(401, to: req, #"Digest realm="r", nonce="n", qop="auth""#), to: req))
        let c = try verify(r, realm: "r", algorithm: .md5)
        let cnonce = try #require(c.cnonce)
        #expect(cnonce.count == 32 && cnonce.allSatisfy(\.isHexDigit))
        #expect(DigestAuthenticator.randomCnonce() != DigestAuthenticator.randomCnonce())
    }
}
