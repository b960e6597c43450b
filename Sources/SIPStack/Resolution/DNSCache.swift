/// DNS responses kept for their TTL: pure, time passed in.
///
/// A positive response lives for the smallest TTL of its answer and additional address records; a
/// negative one (NXDOMAIN, or NOERROR without answers) for its SOA's negative TTL (RFC 2308), and is not
/// kept without an SOA. Other RCODEs (SERVFAIL, REFUSED, ...) and TTL 0 are never kept. Every lifetime is
/// capped at ``maximumTTL``; when ``maximumEntries`` is reached, expired entries go first, then the one
/// closest to expiry.
public struct DNSCache: Sendable {
    private struct Key: Hashable, Sendable {
        var name: String
        var type: DNSRecordType
    }

    private struct Entry: Sendable {
        var message: DNSMessage
        var expires: ContinuousClock.Instant
    }

    /// Longest time anything is kept.
    public var maximumTTL: Duration
    /// Most responses kept.
    public var maximumEntries: Int
    private var entries: [Key: Entry] = [:]

    public init(maximumTTL: Duration = .seconds(3600), maximumEntries: Int = 1024) {
        self.maximumTTL = maximumTTL
        self.maximumEntries = maximumEntries
    }

    /// Number of entries, expired ones included until they are evicted.
    public var count: Int { entries.count }

    /// The cached response to `name`/`type`, if one is still valid at `now`.
    public func lookup(_ name: String, type: DNSRecordType, now: ContinuousClock.Instant) -> DNSMessage? {
        guard let entry = entries[Self.key(name, type)], entry.expires > now else { return nil }
        return entry.message
    }

    /// Keeps `message`, the response to `name`/`type` received at `now`, if it may be cached.
    public mutating func store(_ message: DNSMessage, for name: String, type: DNSRecordType, now: ContinuousClock.Instant) {
        guard let ttl = Self.lifetime(of: message), ttl > 0, maximumEntries > 0 else { return }
        let key = Self.key(name, type)
        if entries[key] == nil, entries.count >= maximumEntries {
            entries = entries.filter { $0.value.expires > now }
            if entries.count >= maximumEntries, let soonest = entries.min(by: { $0.value.expires < $1.value.expires }) {
                entries[soonest.key] = nil
            }
        }
        entries[key] = Entry(message: message, expires: now + min(.seconds(Int64(ttl)), maximumTTL))
    }

    /// Seconds `message` may be cached, or `nil` if it may not.
    public static func lifetime(of message: DNSMessage) -> UInt32? {
        switch message.responseCode {
        case .nameError:
            return message.negativeCacheTTL
        case .noError:
            let records = message.answers + message.additionals.filter { $0.type == .a || $0.type == .aaaa }
            guard !message.answers.isEmpty else { return message.negativeCacheTTL }
            return records.map(\.ttl).min()
        default:
            return nil
        }
    }

    private static func key(_ name: String, _ type: DNSRecordType) -> Key {
        Key(name: String(decoding: DNSName.normalized(name).utf8.map(DNSName.lower), as: UTF8.self), type: type)
    }
}
