import SIPCore
import Testing

@Suite("Digest")
struct DigestTests {
    @Test(arguments: [
        ("", "d41d8cd98f00b204e9800998ecf8427e"),
        ("a", "0cc175b9c0f1b6a831c399e269772661"),
        ("abc", "900150983cd24fb0d6963f7d28e17f72"),
        ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
        ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
        (String(repeating: "1234567890", count: 8), "57edf4a22be3c955ac49da2e2107b67a"),
    ])
    func md5RFC1321(input: String, hex: String) {
        #expect(SIPDigest.hexHash(.md5, input) == hex)
    }

    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func sha256FIPS180(input: String, hex: String) {
        #expect(SIPDigest.hexHash(.sha256, input) == hex)
    }

    @Test func sha256MillionA() {
        #expect(SIPDigest.hexHash(.sha256, [UInt8](repeating: 0x61, count: 1_000_000))
            == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func sha512_256() {
        #expect(SIPDigest.hexHash(.sha512_256, "abc") == "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23")
    }

    @Test func rfc7616Example() {
        func response(_ a: SIPDigest.Algorithm) -> String {
            SIPDigest.response(algorithm: a, username: "Mufasa", realm: "http-auth@example.org", password: "Circle of Life",
                               method: "GET", uri: "/dir/index.html", nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
                               cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", nc: "00000001", qop: "auth")
        }
        #expect(response(.md5) == "8ca523f5e9506fed4657c9700eebdbec")
        #expect(response(.sha256) == "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1")
    }

    @Test func rfc2617Example() {
        #expect(SIPDigest.response(algorithm: .md5, username: "Mufasa", realm: "testrealm@host.com", password: "Circle Of Life",
                                   method: "GET", uri: "/dir/index.html", nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
                                   cnonce: "0a4f113b", nc: "00000001", qop: "auth") == "6629fae49393a05397450978507c4ef1")
    }

    @Test func sessAndAuthIntAndNoQop() {
        let base = (user: "u", realm: "r", pw: "p", method: "REGISTER", uri: "sip:r", nonce: "n", cnonce: "c")
        let ha1 = SIPDigest.hexHash(.md5, "u:r:p")
        let ha1s = SIPDigest.hexHash(.md5, "\(ha1):n:c")
        let ha2 = SIPDigest.hexHash(.md5, "REGISTER:sip:r")
        #expect(SIPDigest.response(algorithm: .md5Sess, username: base.user, realm: base.realm, password: base.pw, method: base.method,
                                   uri: base.uri, nonce: base.nonce, cnonce: base.cnonce, nc: "00000001", qop: "auth")
            == SIPDigest.hexHash(.md5, "\(ha1s):n:00000001:c:auth:\(ha2)"))
        #expect(SIPDigest.response(algorithm: .md5, username: base.user, realm: base.realm, password: base.pw, method: base.method,
                                   uri: base.uri, nonce: base.nonce, cnonce: nil, nc: nil, qop: nil)
            == SIPDigest.hexHash(.md5, "\(ha1):n:\(ha2)"))
        let body = Array("v=0\r\n".utf8)
        let ha2i = SIPDigest.hexHash(.sha256, "REGISTER:sip:r:\(SIPDigest.hexHash(.sha256, body))")
        let ha1256 = SIPDigest.hexHash(.sha256, "u:r:p")
        #expect(SIPDigest.response(algorithm: .sha256, username: base.user, realm: base.realm, password: base.pw, method: base.method,
                                   uri: base.uri, nonce: base.nonce, cnonce: base.cnonce, nc: "0000000a", qop: "auth-int", body: body)
            == SIPDigest.hexHash(.sha256, "\(ha1256):n:0000000a:c:auth-int:\(ha2i)"))
        #expect(SIPDigest.formatNC(10) == "0000000a")
        #expect(SIPDigest.Algorithm("sha-256-SESS") == .sha256Sess)
        #expect(SIPDigest.Algorithm("SHA-1") == nil)
    }

    @Test func challengeParsingIsTolerant() throws {
        let variants = [
            #"Digest realm="atlanta.com", domain="sip:boxesbybob.com", qop="auth", nonce="f84f1cec41e6cbe5aea9c8e88d359", opaque="", stale=FALSE, algorithm=MD5"#,
            #"Digest realm="atlanta.com",domain="sip:boxesbybob.com",qop="auth",nonce="f84f1cec41e6cbe5aea9c8e88d359",opaque="",stale=FALSE,algorithm=MD5"#,
            #"Digest   realm = "atlanta.com" ,, domain="sip:boxesbybob.com" qop=auth , nonce="f84f1cec41e6cbe5aea9c8e88d359", opaque="" , stale=FALSE, algorithm="MD5","#,
            #"digest , realm=atlanta.com, domain="sip:boxesbybob.com", qop="auth", nonce=f84f1cec41e6cbe5aea9c8e88d359, opaque="", stale=false, algorithm=md5"#,
        ]
        for v in variants {
            let c = try SIPChallenge(parsing: v)
            #expect(c.isDigest)
            #expect(c.realm == "atlanta.com")
            #expect(c.domain == "sip:boxesbybob.com")
            #expect(c.nonce == "f84f1cec41e6cbe5aea9c8e88d359")
            #expect(c.opaque == "")
            #expect(c.qopOptions == ["auth"])
            #expect(c.stale == false)
            #expect(c.digestAlgorithm == .md5)
            #expect(try SIPChallenge(parsing: c.description) == c)
        }
        let escaped = try SIPChallenge(parsing: #"Digest realm="a \"quoted\" realm, with comma", nonce="x", stale=TRUE, qop="auth-int, auth""#)
        #expect(escaped.realm == #"a "quoted" realm, with comma"#)
        #expect(escaped.stale)
        #expect(escaped.qopOptions == ["auth-int", "auth"])
        #expect(throws: SIPParseError.self) { try SIPChallenge(parsing: #"Digest realm="unterminated"#) }
        #expect(throws: SIPParseError.self) { try SIPChallenge(parsing: "") }
    }

    @Test func challengeBuilderAndCredentials() throws {
        let c = SIPChallenge(realm: "example.com", nonce: "abc", opaque: "op", algorithm: .sha256, qopOptions: ["auth"])
        #expect(c.description == #"Digest realm="example.com", nonce="abc", opaque="op", algorithm=SHA-256, qop="auth""#)
        let cred = try #require(SIPCredentials.digest(answering: c, method: .register, uri: "sip:example.com",
                                                      username: "alice", password: "secret", cnonce: "cn", nc: 1))
        let expected = SIPDigest.response(algorithm: .sha256, username: "alice", realm: "example.com", password: "secret",
                                          method: "REGISTER", uri: "sip:example.com", nonce: "abc", cnonce: "cn", nc: "00000001", qop: "auth")
        #expect(cred.response == expected)
        #expect(cred.description == #"Digest username="alice", realm="example.com", nonce="abc", uri="sip:example.com", response="\#(expected)", algorithm=SHA-256, cnonce="cn", opaque="op", qop=auth, nc=00000001"#)
        let reparsed = try SIPCredentials(parsing: cred.description)
        #expect(reparsed == cred)
        #expect(reparsed.username == "alice")
        #expect(reparsed.nc == "00000001")
        // RFC 2069 style when no qop is offered; unsupported algorithm → nil.
        var noQop = SIPChallenge(realm: "r", nonce: "n", qopOptions: [])
        let c2 = try #require(SIPCredentials.digest(answering: noQop, method: .invite, uri: "sip:b@r", username: "u", password: "p", cnonce: "x"))
        #expect(c2.qop == nil && c2.cnonce == nil && c2.nc == nil)
        noQop.algorithm = "SHA-1"
        #expect(SIPCredentials.digest(answering: noQop, method: .invite, uri: "sip:b@r", username: "u", password: "p", cnonce: "x") == nil)
    }
}
