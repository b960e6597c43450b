import Foundation
import Logging
import NIOCore
import NIOPosix
import SIPCore
import Testing
@testable import SIPStack

/// Messages, certificates, transports and polling shared by the stream transport tests.
enum StreamTestSupport {
    static let logger: Logger = {
        var logger = Logger(label: "test.sip.stream")
        logger.logLevel = .warning
        return logger
    }()

    /// The folder of the throwaway TLS certificates (see Resources/tls/README.md).
    static let tlsDirectory: URL = Bundle.module.url(forResource: "Resources", withExtension: nil)!.appendingPathComponent("tls")

    /// Path of a file in the TLS folder.
    static func tlsFile(_ name: String) -> String { tlsDirectory.appendingPathComponent(name).path }

    /// An OPTIONS request with a unique Call-ID and an optional body.
    static func request(callID: String = UUID().uuidString, body: String = "") -> SIPMessage {
        var headers = SIPHeaders()
        headers.add("Via", "SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK\(callID.prefix(8))")
        headers.add("Max-Forwards", "70")
        headers.add("From", "<sip:alice@127.0.0.1>;tag=a1")
        headers.add("To", "<sip:bob@127.0.0.1>")
        headers.add("Call-ID", callID)
        headers.add("CSeq", "1 OPTIONS")
        if !body.isEmpty { headers.add("Content-Type", "text/plain") }
        let uri = try! SIPURI(parsing: "sip:bob@127.0.0.1")
        return .request(SIPRequest(method: .options, uri: uri, headers: headers, body: Array(body.utf8)))
    }

    /// The 200 answering `request`.
    static func reply(to request: SIPMessage) -> SIPMessage {
        .response(SIPResponse(replyingTo: request.request!, statusCode: 200, toTag: "b1"))
    }

    /// What `message` looks like after a trip over the wire (parsed back from its serialization).
    static func wire(_ message: SIPMessage) -> SIPMessage {
        try! SIPParser().parse(message.serialized())
    }

    /// A stream transport with test defaults.
    static func transport(
        _ kind: SIPTransportKind = .tcp, options: SIPStreamTransport.Options = SIPStreamTransport.Options(), inbox: MessageInbox
    ) -> SIPStreamTransport {
        SIPStreamTransport(kind: kind, options: options, group: MultiThreadedEventLoopGroup.singleton, logger: logger) { message, peer in
            inbox.add(message, from: peer)
        }
    }

    /// Options trusting the test CA, optionally presenting one of the test certificates (`server`, ...).
    static func tlsOptions(certificate: String? = nil, caFile: String? = "ca.pem") -> SIPStreamTransport.Options {
        var options = SIPStreamTransport.Options()
        options.tls = SIPStreamTransport.TLSOptions(
            caFile: caFile.map(tlsFile), certificateFile: certificate.map { tlsFile("\($0).pem") },
            privateKeyFile: certificate.map { tlsFile("\($0).key") })
        return options
    }

    /// The destination of a listener bound to 127.0.0.1.
    static func destination(_ kind: SIPTransportKind, _ address: SocketAddress, serverName: String? = nil) -> SIPDestination {
        SIPDestination(transport: kind, address: address, serverName: serverName)
    }

    /// Polls `condition` every 10 ms until it holds or `timeout` passes; records an issue on timeout.
    @discardableResult
    static func eventually(
        _ what: String, timeout: Duration = .seconds(5), sourceLocation: SourceLocation = #_sourceLocation,
        _ condition: () async throws -> Bool
    ) async rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        if try await condition() { return true }
        Issue.record("timed out waiting: \(what)", sourceLocation: sourceLocation)
        return false
    }
}
