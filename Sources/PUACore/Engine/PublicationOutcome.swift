/// What happened to a publication, as told to callbacks (the seed's `register_puacb` reply events).
public enum PublicationOutcome: Sendable, Equatable {
    /// A 2xx applied it (initial, modification or refresh); the status code of that reply.
    case published(statusCode: Int)
    /// A PUBLISH failed; `willRetry` says whether a retry is armed.
    case failed(PublishFailure)
    /// It was removed (Expires: 0 answered, or nothing was left to remove) and is forgotten.
    case removed
}

/// Called on the engine's isolation domain with the record after the event and the outcome; must not block.
public typealias PublicationCallback = @Sendable (PublicationSnapshot, PublicationOutcome) -> Void

/// Identifies a registered callback, to unregister it.
public struct PublicationCallbackID: Hashable, Sendable {
    let value: UInt64
}
