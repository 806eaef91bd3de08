import Foundation
import Logging
import NIOConcurrencyHelpers

@testable import ServiceRuntime

/// Collects the lines a `JSONLogHandler` writes, for tests.
final class LogCapture: Sendable {
    private let lines = NIOLockedValueBox<[[UInt8]]>([])

    var output: LogLineOutput { LogLineOutput { [self] line in lines.withLockedValue { $0.append(line) } } }

    func logger(label: String = "test", level: Logger.Level = .trace) -> Logger {
        let output = self.output
        var logger = Logger(label: label) { label in JSONLogHandler(label: label, metadataProvider: nil, output: output)
        }
        logger.logLevel = level
        return logger
    }

    var rawLines: [[UInt8]] { lines.withLockedValue { $0 } }

    /// Every line parsed as a JSON object (a line that is not one fails the test that reads it).
    func objects() throws -> [[String: Any]] {
        try rawLines.map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line))
            guard let dictionary = object as? [String: Any] else { throw NotAnObject() }
            return dictionary
        }
    }

    struct NotAnObject: Error {}
}
