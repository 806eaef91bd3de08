import Logging

/// A swift-log handler that writes one JSON object per line (see `JSONLogLine`), by default to
/// standard error. Each line is built in full before it is written, in one piece, so concurrent
/// loggers never interleave within a line and no lock is taken.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    private let label: String
    private let output: LogLineOutput

    public init(
        label: String,
        metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider,
        output: LogLineOutput = .standardError
    ) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        output.write(
            JSONLogLine.encode(
                timestamp: .now(),
                level: event.level,
                label: label,
                message: event.message.description,
                metadata: mergedMetadata(event.metadata),
                error: event.error
            )
        )
    }

    /// Handler metadata, then the provider's, then the event's: the most specific wins.
    private func mergedMetadata(_ eventMetadata: Logger.Metadata?) -> Logger.Metadata {
        var merged = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty {
            merged.merge(provided) { _, new in new }
        }
        if let eventMetadata, !eventMetadata.isEmpty {
            merged.merge(eventMetadata) { _, new in new }
        }
        return merged
    }
}
