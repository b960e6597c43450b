import NIOCore
import NIOSSL

/// Builds the TLS contexts of a stream transport from its ``SIPStreamTransport/TLSOptions``.
enum SIPStreamTLS {
    /// The client side: trust roots from `caFile` (system roots when nil), full verification (chain and
    /// name) unless `verifyPeer` is false, TLS 1.2 or later, an optional client certificate.
    static func makeClientContext(_ options: SIPStreamTransport.TLSOptions) throws(SIPTransportError) -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let caFile = options.caFile {
            configuration.trustRoots = .file(caFile)
        }
        configuration.certificateVerification = options.verifyPeer ? .fullVerification : .none
        if let certificateFile = options.certificateFile, let privateKeyFile = options.privateKeyFile {
            let (chain, key) = try loadIdentity(certificateFile: certificateFile, privateKeyFile: privateKeyFile)
            configuration.certificateChain = chain
            configuration.privateKey = key
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw SIPTransportError(
                code: .tlsHandshakeFailed, context: "TLS client setup failed (caFile \(options.caFile ?? "system roots")): \(error)")
        }
    }

    /// The server side from `certificateFile` and `privateKeyFile`; client certificates are not requested.
    static func makeServerContext(_ options: SIPStreamTransport.TLSOptions) throws(SIPTransportError) -> NIOSSLContext {
        guard let certificateFile = options.certificateFile, let privateKeyFile = options.privateKeyFile else {
            throw SIPTransportError(
                code: .unsupportedTransport, context: "a TLS listener needs TLSOptions.certificateFile and privateKeyFile")
        }
        let (chain, key) = try loadIdentity(certificateFile: certificateFile, privateKeyFile: privateKeyFile)
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: key)
        configuration.minimumTLSVersion = .tlsv12
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw SIPTransportError(code: .tlsHandshakeFailed, context: "TLS server setup failed (\(certificateFile)): \(error)")
        }
    }

    /// `name` when it is a DNS name: nil for nil, empty, or an IP literal (bracketed IPv6 too).
    ///
    /// A DNS name goes into SNI and is what the certificate is checked against; without one, the
    /// certificate must carry the connected IP address (swift-nio-ssl checks IP SANs against the socket's
    /// remote address when no hostname is given).
    static func dnsName(_ name: String?) -> String? {
        guard var name, !name.isEmpty else { return nil }
        if name.hasPrefix("["), name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        if (try? SocketAddress(ipAddress: name, port: 0)) != nil { return nil }
        return name
    }

    private static func loadIdentity(
        certificateFile: String, privateKeyFile: String
    ) throws(SIPTransportError) -> ([NIOSSLCertificateSource], NIOSSLPrivateKeySource) {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { NIOSSLCertificateSource.certificate($0) }
            guard !chain.isEmpty else {
                throw SIPTransportError(code: .tlsHandshakeFailed, context: "no certificate in \(certificateFile)")
            }
            let key = try NIOSSLPrivateKey(file: privateKeyFile, format: .pem)
            return (chain, .privateKey(key))
        } catch let error as SIPTransportError {
            throw error
        } catch {
            throw SIPTransportError(
                code: .tlsHandshakeFailed, context: "cannot load TLS certificate \(certificateFile) or key \(privateKeyFile): \(error)")
        }
    }
}
