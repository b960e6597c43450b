/// The messages measured: a typical presence PUBLISH (as Lamplighter sends it to Kamailio) and the
/// presence server's 200 OK. Byte-identical to Fuzz/corpus/fuzz-sip-parser/publish.sip and publish-200.sip.
enum Messages {
    static let pidf = """
        <?xml version="1.0" encoding="UTF-8"?>\r
        <presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" \
        entity="sip:alice@example.com">\r
          <tuple id="t8a3c1f">\r
            <status><basic>open</basic></status>\r
            <contact>sip:alice@192.0.2.21:5060</contact>\r
          </tuple>\r
          <dm:person id="p1"><dm:note>On the phone</dm:note></dm:person>\r
        </presence>\r

        """

    static let publish: [UInt8] = Array("""
        PUBLISH sip:alice@example.com SIP/2.0\r
        Via: SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bK3k9d0a7f1c2e4b6;rport\r
        Max-Forwards: 70\r
        From: <sip:alice@example.com>;tag=5f2c9a1b\r
        To: <sip:alice@example.com>\r
        Call-ID: 7c1d9e0a4b2f6c83@lamplighter\r
        CSeq: 42 PUBLISH\r
        Contact: <sip:lamplighter@192.0.2.10:5070>\r
        Event: presence\r
        Expires: 3600\r
        SIP-If-Match: dx200xyz0a1b2c3\r
        User-Agent: Lamplighter/0.1\r
        Content-Type: application/pidf+xml\r
        Content-Length: \(pidf.utf8.count)\r
        \r

        """.utf8) + Array(pidf.utf8)

    static let publishOK: [UInt8] = Array("""
        SIP/2.0 200 OK\r
        Via: SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bK3k9d0a7f1c2e4b6;rport=5070;received=192.0.2.10\r
        From: <sip:alice@example.com>;tag=5f2c9a1b\r
        To: <sip:alice@example.com>;tag=a6c85cf8\r
        Call-ID: 7c1d9e0a4b2f6c83@lamplighter\r
        CSeq: 42 PUBLISH\r
        SIP-ETag: a.1695829391.7718.2.0\r
        Expires: 3600\r
        Server: kamailio (5.6.4 (x86_64/linux))\r
        Content-Length: 0\r
        \r

        """.utf8)
}
