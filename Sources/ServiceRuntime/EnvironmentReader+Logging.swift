import Logging

extension EnvironmentReader {
    /// Logs, in one line, every value read so far with secrets redacted; call it once at start-up
    /// after the whole configuration is read.
    public func logEffectiveConfiguration(to logger: Logger, level: Logger.Level = .info) {
        var metadata = Logger.Metadata()
        for entry in effectiveConfiguration {
            metadata[entry.name] = .string(entry.loggableValue)
        }
        logger.log(level: level, "effective configuration", metadata: metadata)
    }
}
