import Foundation

/// `loadtest run --report FILE`: one self-contained HTML page (inline SVG and CSS, no script, no
/// network) with the run's plots over time and its summary table, to open in any browser.
public enum HTMLReport {
    public static func render(_ summary: RunSummary) -> String {
        let points = summary.timeline.points
        let rates = perSecond(points)
        var charts: [String] = []
        charts.append(
            chart(
                "Connected devices", unit: "devices",
                [
                    Series(name: "connected", color: "#1f77b4", values: points.map { ($0.seconds, Double($0.connected)) })
                ]))
        charts.append(
            chart(
                "Messages per second", unit: "msg/s",
                [
                    Series(name: "sent", color: "#1f77b4", values: rates.sent),
                    Series(name: "acknowledged", color: "#2ca02c", values: rates.acknowledged),
                    Series(name: "in Kafka", color: "#ff7f0e", values: rates.kafka),
                ]))
        charts.append(
            chart(
                "Latency of each second", unit: "ms",
                [
                    Series(name: "PUBACK p50", color: "#2ca02c", values: points.compactMap { p in p.ackP50.map { (p.seconds, $0) } }),
                    Series(name: "PUBACK p99", color: "#d62728", values: points.compactMap { p in p.ackP99.map { (p.seconds, $0) } }),
                    Series(name: "device to Kafka p99", color: "#ff7f0e", values: points.compactMap { p in p.kafkaP99.map { (p.seconds, $0) } }),
                ]))
        let verdict = summary.passed ? "passed" : "FAILED: " + summary.failures.joined(separator: "; ")
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <title>loadtest \(escape(summary.run))</title>
            <style>
            body { font-family: sans-serif; margin: 2em; color: #222; }
            .chart { margin: 1.5em 0; } .legend span { margin-right: 1.5em; }
            pre { background: #f6f6f6; padding: 1em; overflow-x: auto; }
            .passed { color: #2ca02c; } .failed { color: #d62728; }
            </style></head><body>
            <h1>loadtest run \(escape(summary.run))</h1>
            <p>\(summary.devices) devices against \(escape(summary.target)) (\(escape(summary.transport))), tenant \(escape(summary.tenant)), \
            \(summary.elapsedSeconds) s: <strong class="\(summary.passed ? "passed" : "failed")">\(escape(verdict))</strong></p>
            \(charts.joined(separator: "\n"))
            <h2>Summary</h2>
            <pre>\(escape(summary.table))</pre>
            </body></html>

            """
    }

    struct Series {
        var name: String
        var color: String
        var values: [(Double, Double)]
    }

    /// Rates between consecutive points of cumulative counts.
    static func perSecond(_ points: [RunTimeline.Point]) -> (sent: [(Double, Double)], acknowledged: [(Double, Double)], kafka: [(Double, Double)]) {
        var sent: [(Double, Double)] = []
        var acknowledged: [(Double, Double)] = []
        var kafka: [(Double, Double)] = []
        for (previous, point) in zip(points, points.dropFirst()) {
            let seconds = point.seconds - previous.seconds
            guard seconds > 0 else { continue }
            sent.append((point.seconds, Double(point.sent - previous.sent) / seconds))
            acknowledged.append((point.seconds, Double(point.acknowledged - previous.acknowledged) / seconds))
            if let now = point.kafkaMatched, let before = previous.kafkaMatched {
                kafka.append((point.seconds, Double(now - before) / seconds))
            }
        }
        return (sent, acknowledged, kafka)
    }

    /// One SVG line chart: axes with the maximum of each, one polyline per series with data.
    static func chart(_ title: String, unit: String, _ series: [Series]) -> String {
        let (width, height, left, bottom) = (800.0, 240.0, 100.0, 30.0)
        let drawn = series.filter { !$0.values.isEmpty }
        let maxX = max(drawn.flatMap { $0.values.map(\.0) }.max() ?? 1, 1)
        let maxY = max(drawn.flatMap { $0.values.map(\.1) }.max() ?? 1, 1e-9)
        func x(_ value: Double) -> String { String(format: "%.1f", left + value / maxX * (width - left - 10)) }
        func y(_ value: Double) -> String { String(format: "%.1f", height - bottom - value / maxY * (height - bottom - 10)) }
        let lines = drawn.map { s in
            let points = s.values.map { "\(x($0.0)),\(y($0.1))" }.joined(separator: " ")
            return "<polyline fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"2\" points=\"\(points)\"><title>\(escape(s.name))</title></polyline>"
        }
        let legend = drawn.map { "<span style=\"color:\($0.color)\">&#9632; \(escape($0.name))</span>" }.joined()
        return """
            <div class="chart"><h2>\(escape(title))</h2>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" role="img" aria-label="\(escape(title))">
            <line x1="\(left)" y1="\(height - bottom)" x2="\(width - 10)" y2="\(height - bottom)" stroke="#888"/>
            <line x1="\(left)" y1="10" x2="\(left)" y2="\(height - bottom)" stroke="#888"/>
            <text x="\(left - 5)" y="16" text-anchor="end" font-size="11">\(format(maxY)) \(escape(unit))</text>
            <text x="\(left - 5)" y="\(height - bottom)" text-anchor="end" font-size="11">0</text>
            <text x="\(width - 10)" y="\(height - 10)" text-anchor="end" font-size="11">\(format(maxX)) s</text>
            \(lines.joined(separator: "\n"))
            </svg><div class="legend">\(legend.isEmpty ? "no data" : legend)</div></div>
            """
    }

    private static func format(_ value: Double) -> String {
        value >= 100 || value == value.rounded() ? String(format: "%.0f", value) : String(format: "%.2f", value)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
