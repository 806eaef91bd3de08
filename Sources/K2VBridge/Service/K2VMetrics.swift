import Metrics
import Synchronization

/// A swift-metrics counter that also keeps its count, so that tests (and logs) can read it.
final class CountedCounter: Sendable {
    private let counter: Counter
    private let value = Atomic<Int>(0)

    init(label: String, dimensions: [(String, String)] = []) {
        counter = Counter(label: label, dimensions: dimensions)
    }

    func increment() {
        value.add(1, ordering: .relaxed)
        counter.increment()
    }

    var count: Int { value.load(ordering: .relaxed) }
}

/// The bridge's metric objects, created once per bridge (never per record).
final class K2VMetrics: Sendable {
    let consumed = CountedCounter(label: "k2v_records_consumed_total")
    let published = CountedCounter(label: "k2v_messages_published_total")
    let acknowledged = CountedCounter(label: "k2v_messages_acknowledged_total")
    let skipped = CountedCounter(label: "k2v_records_skipped_total")
    let malformed = CountedCounter(label: "k2v_records_malformed_total")
    let commits = CountedCounter(label: "k2v_offset_commits_total", dimensions: [("result", "success")])
    let failedCommits = CountedCounter(label: "k2v_offset_commits_total", dimensions: [("result", "failure")])
    /// Publishes sent and not yet acknowledged by the broker.
    private let inflightGauge = Gauge(label: "k2v_publishes_inflight")
    private let inflightCount = Atomic<Int>(0)

    func publishStarted() {
        published.increment()
        inflightGauge.record(inflightCount.add(1, ordering: .relaxed).newValue)
    }

    func publishEnded() {
        inflightGauge.record(inflightCount.subtract(1, ordering: .relaxed).newValue)
    }

    var inflight: Int { inflightCount.load(ordering: .relaxed) }
}
