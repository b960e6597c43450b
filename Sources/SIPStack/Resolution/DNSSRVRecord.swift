/// The data of an SRV record (RFC 2782).
public struct DNSSRVRecord: Sendable, Hashable, CustomStringConvertible {
    /// Lower is tried first.
    public var priority: UInt16
    /// Relative share among records of the same priority; 0 means "almost never, if others exist".
    public var weight: UInt16
    /// The service's port on the target.
    public var port: UInt16
    /// The target host name, without trailing dot; empty for the root (`.`).
    public var target: String

    public init(priority: UInt16, weight: UInt16, port: UInt16, target: String) {
        self.priority = priority
        self.weight = weight
        self.port = port
        self.target = target
    }

    /// A target of `.`: the service is decidedly not available at this domain (RFC 2782).
    public var isServiceUnavailable: Bool { target.isEmpty }

    public var description: String { "\(priority) \(weight) \(port) \(target.isEmpty ? "." : target)" }
}
