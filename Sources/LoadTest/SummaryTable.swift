import Foundation

extension RunSummary {
    /// The human-readable result printed at the end of a run.
    public var table: String {
        var lines: [String] = []
        func row(_ name: String, _ value: String) { lines.append(name.padding(toLength: 26, withPad: " ", startingAt: 0) + value) }
        func latency(_ l: Latency) -> String {
            l.count == 0 ? "-" : String(format: "p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f ms", l.p50, l.p90, l.p99, l.p999, l.max)
        }
        lines.append("loadtest run \(run): \(devices) devices (\(transport)) on \(target), tenant \(tenant), \(String(format: "%.1f", elapsedSeconds)) s")
        row("connects", "\(connect.succeeded) ok, \(connect.failed) failed, \(connect.subscribed) subscribed, \(connect.closedUnexpectedly) closed unexpectedly")
        row("connect latency", latency(connect.latency))
        row(
            "publishes (QoS \(publish.qos))",
            "\(publish.sent) sent, \(publish.acknowledged) acknowledged, \(publish.unacknowledged) unacknowledged, \(publish.skippedTicks) skipped (\(String(format: "%.0f", publish.perSecond))/s)"
        )
        row("PUBACK latency", latency(publish.ackLatency))
        row("  after connect phase", latency(publish.steadyAckLatency))
        if let kafka {
            row("Kafka \(kafka.topic)", "\(kafka.matched)/\(kafka.expected) matched, \(kafka.lost) lost, \(kafka.duplicates) duplicates, \(kafka.wrongKeys) wrong keys")
            row("device -> Kafka latency", latency(kafka.latency))
        }
        if let config {
            row("config events", "\(config.produced) produced, \(config.delivered) delivered, \(config.received) received, \(config.lost) lost")
            row("config round trip", latency(config.latency))
        }
        row("error rate", String(format: "%.5f (max %.5f)", errorRate, maxErrorRate))
        row("result", passed ? "PASSED" : "FAILED: " + failures.joined(separator: "; "))
        return lines.joined(separator: "\n")
    }
}
