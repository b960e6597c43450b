import Metrics

/// The engine's counters (swift-metrics; exported by the status server).
struct EngineMetrics: Sendable {
    let published = Counter(label: "lamplighter_publish_succeeded_total")
    /// PUBLISH requests sent, by kind (initial, modify, refresh, remove).
    let sent = Dictionary(uniqueKeysWithValues: PublishRequest.Kind.allCases.map {
        ($0, Counter(label: "lamplighter_publish_sent_total", dimensions: [("kind", $0.rawValue)]))
    })
    let failed = Counter(label: "lamplighter_publish_failed_total")
    let refused = Counter(label: "lamplighter_publish_refused_total")
    let removed = Counter(label: "lamplighter_publish_removed_total")
    let storeErrors = Counter(label: "lamplighter_store_errors_total")
}
