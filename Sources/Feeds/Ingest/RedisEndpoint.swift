/// Where and how to reach Redis.
public struct RedisEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// Host name or address.
    public var host: String
    /// TCP port.
    public var port: Int
    /// ACL user (Redis 6+); nil for the default user.
    public var username: String?
    /// Password for AUTH; never logged.
    public var password: String?
    /// Database number for SELECT.
    public var database: Int
    /// Connect and command timeout, seconds.
    public var timeout: Double

    public init(host: String, port: Int = 6379, username: String? = nil, password: String? = nil, database: Int = 0, timeout: Double = 5) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.timeout = timeout
    }

    /// `host:port`, without credentials.
    public var description: String { "\(host):\(port)" }
}
