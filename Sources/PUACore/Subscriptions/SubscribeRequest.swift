/// A SUBSCRIBE the runner must send for a subscription.
public struct SubscribeRequest: Sendable, Equatable {
    /// `Expires`; 0 ends the subscription.
    public var expires: Int
    /// Inside the established dialog (refresh, unsubscribe), or a new dialog (initial, re-created).
    public var inDialog: Bool

    public init(expires: Int, inDialog: Bool) {
        self.expires = expires
        self.inDialog = inDialog
    }
}

/// The final response to a SUBSCRIBE, as the machine needs it.
public struct SubscribeReply: Sendable, Equatable {
    public var statusCode: Int
    /// `Expires` of a 2xx: the granted duration.
    public var expires: Int?
    /// `Min-Expires` of a 423.
    public var minExpires: Int?
    /// `Retry-After` of a 5xx.
    public var retryAfter: Int?

    public init(statusCode: Int, expires: Int? = nil, minExpires: Int? = nil, retryAfter: Int? = nil) {
        self.statusCode = statusCode
        self.expires = expires
        self.minExpires = minExpires
        self.retryAfter = retryAfter
    }
}

/// How a subscription ended, for the callbacks.
public struct SubscriptionEnd: Sendable, Equatable {
    /// Why: the `reason` of a terminating NOTIFY (`rejected`, `noresource`, `giveup`, …), `unsubscribed`, or
    /// `refused` for a final failure response.
    public var reason: String
    /// The failure response's status code, when one ended it.
    public var statusCode: Int?

    public init(reason: String, statusCode: Int? = nil) {
        self.reason = reason
        self.statusCode = statusCode
    }
}
