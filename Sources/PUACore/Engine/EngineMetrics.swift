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
    /// Failures that will be retried (408, 5xx, timeouts, transport errors).
    let retries = Counter(label: "lamplighter_publish_retries_total")
    /// From an update's arrival (a feed event, an admin request) to the 2xx of the PUBLISH carrying it.
    let updateLatency = Timer(label: "lamplighter_publish_update_latency_seconds", preferredDisplayUnit: .seconds)
    /// PUBLISH transactions in flight.
    let inFlight = Gauge(label: "lamplighter_publish_in_flight")
    /// Publications in the table.
    let publications = Gauge(label: "lamplighter_publications")
    /// Duration and size of each write to the store.
    let flushDuration = Timer(label: "lamplighter_store_flush_seconds", preferredDisplayUnit: .seconds)
    let flushRecords = Recorder(label: "lamplighter_store_flush_records")

    /// Final replies by status code, and transactions without one by error kind.
    func reply(_ code: String) {
        Counter(label: "lamplighter_publish_replies_total", dimensions: [("code", code)]).increment()
    }
}
