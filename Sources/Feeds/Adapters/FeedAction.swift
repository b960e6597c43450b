import PUACore

/// What an adapter asks its runner to do.
public enum FeedAction: Sendable, Equatable {
    /// Hand this update to the publication engine.
    case publish(PublishParameters)
    /// Call the adapter's `checkDue(_:now:)` for `key` at `at` (wall clock seconds); checks are idempotent, so
    /// every scheduled one may fire.
    case scheduleCheck(key: String, at: Double)
    /// The event was older than the last one applied for its contact or dialog (or its dialog had ended) and
    /// was dropped.
    case dropStale(key: String)
}
