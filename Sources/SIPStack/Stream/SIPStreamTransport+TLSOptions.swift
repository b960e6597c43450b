extension SIPStreamTransport {
    /// TLS settings of a stream transport (RFC 3261 §26.3.1, RFC 5630).
    public struct TLSOptions: Sendable {
        /// PEM file of the CAs trusted to sign peer certificates; nil uses the system trust roots.
        public var caFile: String?
        /// PEM certificate chain presented by this side: required to listen, optional (client certificate)
        /// for outbound connections.
        public var certificateFile: String?
        /// PEM private key of `certificateFile`.
        public var privateKeyFile: String?
        /// Verify the server's certificate on outbound connections (default true): its chain against the
        /// trust roots and its name against ``SIPDestination/serverName`` (or, when that is nil or an IP
        /// literal, against the connected IP address). False disables both, is logged as a warning, and is
        /// only for tests and lab set-ups. Listeners do not request client certificates.
        public var verifyPeer: Bool

        public init(caFile: String? = nil, certificateFile: String? = nil, privateKeyFile: String? = nil, verifyPeer: Bool = true) {
            self.caFile = caFile
            self.certificateFile = certificateFile
            self.privateKeyFile = privateKeyFile
            self.verifyPeer = verifyPeer
        }
    }
}
