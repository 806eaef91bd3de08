import Logging

extension Logger {
    /// Logs one of librdkafka's own log lines at the swift-log level matching its syslog level.
    func logRDKafka(_ event: RDKafkaEvent) {
        guard let line = event.logLine else { return }
        // Connection failures (facility FAIL) also arrive as ERROR events, which are logged and
        // counted already: keep the log line for debugging only.
        let level = line.facility == "FAIL" ? .debug : Self.level(syslogLevel: line.level)
        log(level: level, "\(line.message)", metadata: ["kafka.facility": "\(line.facility)"])
    }

    private static func level(syslogLevel: Int32) -> Logger.Level {
        switch syslogLevel {
        case ...2: .critical
        case 3: .error
        case 4: .warning
        case 5: .notice
        case 6: .info
        default: .debug
        }
    }
}
