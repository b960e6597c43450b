import SIPCore

extension SIPStreamTransport {
    /// Settings of a stream transport.
    public struct Options: Sendable {
        /// A connection with no traffic in either direction for this long is closed (60 s).
        public var idleTimeout: Duration
        /// Deadline for a new connection to become usable: TCP connect plus, on TLS, the handshake (5 s).
        public var connectTimeout: Duration
        /// Bounds on received messages; a stream that breaks them is closed.
        public var limits: SIPLimits
        /// Most connections open at once, inbound and outbound together (1024); beyond it, sends that need a
        /// new connection fail with `.connectFailed` and inbound connections are closed at once.
        public var maxConnections: Int
        /// TLS settings, used when the transport kind is `.tls` (nil there means ``TLSOptions/init(caFile:certificateFile:privateKeyFile:verifyPeer:)``
        /// defaults: system trust roots, full verification, no certificate of our own).
        public var tls: TLSOptions?

        public init(
            idleTimeout: Duration = .seconds(60), connectTimeout: Duration = .seconds(5), limits: SIPLimits = .default,
            maxConnections: Int = 1024, tls: TLSOptions? = nil
        ) {
            self.idleTimeout = idleTimeout
            self.connectTimeout = connectTimeout
            self.limits = limits
            self.maxConnections = maxConnections
            self.tls = tls
        }
    }
}
