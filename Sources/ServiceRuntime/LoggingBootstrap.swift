import Logging
import NIOConcurrencyHelpers

/// How log lines are written: `plain` (swift-log's stream format) or `json` (one object per line).
public enum LogFormat: String, CaseIterable, Sendable {
    case plain
    case json
}

/// The logging settings of every executable: `LOG_LEVEL` and `LOG_FORMAT`.
public struct LoggingConfiguration: Sendable, Hashable {
    public var level: Logger.Level
    public var format: LogFormat

    public init(level: Logger.Level = .info, format: LogFormat = .plain) {
        self.level = level
        self.format = format
    }

    /// Reads `LOG_LEVEL` (trace, debug, info, notice, warning, error, critical; default info) and
    /// `LOG_FORMAT` (plain, json; default plain).
    public init(from environment: inout EnvironmentReader) throws(ConfigurationError) {
        self.level = try environment.enumeration("LOG_LEVEL", default: Logger.Level.info)
        self.format = try environment.enumeration("LOG_FORMAT", default: LogFormat.plain)
    }

    /// A handler for `label` with these settings, writing to standard error.
    public func makeHandler(
        label: String,
        metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider
    ) -> any LogHandler {
        var handler: any LogHandler =
            switch format {
            case .plain: StreamLogHandler.standardError(label: label, metadataProvider: metadataProvider)
            case .json: JSONLogHandler(label: label, metadataProvider: metadataProvider)
            }
        handler.logLevel = level
        return handler
    }
}

/// Installs the process-wide log handler. swift-log allows that once per process, so only the
/// first call has an effect.
public enum LoggingBootstrap {
    private static let isBootstrapped = NIOLockedValueBox(false)

    /// Installs handlers made by `configuration`; returns false when logging was already
    /// bootstrapped through this helper (the earlier configuration stays).
    @discardableResult
    public static func bootstrap(_ configuration: LoggingConfiguration) -> Bool {
        isBootstrapped.withLockedValue { done in
            guard !done else { return false }
            LoggingSystem.bootstrap { label in configuration.makeHandler(label: label) }
            done = true
            return true
        }
    }
}
