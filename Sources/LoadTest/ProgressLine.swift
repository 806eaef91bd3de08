import Foundation

/// The one-line live status on a terminal, rewritten in place once a second.
struct ProgressLine {
    private var lastSent = 0
    private var lastMatched = 0
    private var lastTime = ContinuousClock.now

    mutating func render(elapsed: Duration, devices: Int, snapshot: LoadSnapshot, kafka: KafkaTracker.Snapshot?) -> String {
        let now = ContinuousClock.now
        let seconds = max((now - self.lastTime).seconds, 0.001)
        let rate = Double(snapshot.sent - self.lastSent) / seconds
        var line = String(
            format: "[%4.0fs] connected %d/%d  sent %d (%.0f/s)  acked %d p99 %.1f ms",
            elapsed.seconds, snapshot.connected, devices, snapshot.sent, rate, snapshot.acknowledged,
            Double(snapshot.ackLatency.valueAtPercentile(99)) / 1000)
        if let kafka {
            let kafkaRate = Double(kafka.matched - self.lastMatched) / seconds
            line += String(format: "  kafka %d (%.0f/s) p99 %.1f ms", kafka.matched, kafkaRate, Double(kafka.latency.valueAtPercentile(99)) / 1000)
            self.lastMatched = kafka.matched
        }
        if snapshot.configReceived > 0 { line += "  config \(snapshot.configReceived)" }
        let errors = snapshot.connectFailures + snapshot.closedUnexpectedly + snapshot.unacknowledgedAtClose + snapshot.skippedTicks
        line += "  errors \(errors)"
        self.lastSent = snapshot.sent
        self.lastTime = now
        return "\r" + line + "\u{1B}[K"
    }
}
