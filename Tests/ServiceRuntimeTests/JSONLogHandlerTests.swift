import Foundation
import Logging
import Testing

@testable import ServiceRuntime

@Suite struct JSONLogHandlerTests {
    @Test func eachLineIsOneJSONObjectWithTheFixedFields() throws {
        let capture = LogCapture()
        capture.logger(label: "broker").info("listening")

        let lines = capture.rawLines
        #expect(lines.count == 1)
        #expect(lines[0].last == UInt8(ascii: "\n"))
        #expect(lines[0].dropLast().contains(UInt8(ascii: "\n")) == false)
        let object = try #require(try capture.objects().first)
        #expect(object["level"] as? String == "info")
        #expect(object["label"] as? String == "broker")
        #expect(object["message"] as? String == "listening")
        let timestamp = try #require(object["timestamp"] as? String)
        #expect(timestamp.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil)
    }

    @Test func timestampIsISO8601UTCWithMilliseconds() {
        var bytes: [UInt8] = []
        JSONLogLine.Timestamp(secondsSinceEpoch: 1_700_000_000, milliseconds: 7).appendISO8601(to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == "2023-11-14T22:13:20.007Z")
    }

    @Test func metadataIsFlattenedBesideTheFixedFields() throws {
        let capture = LogCapture()
        var logger = capture.logger()
        logger[metadataKey: "client"] = "dev-1"
        logger.warning(
            "denied",
            metadata: [
                "topic": "admin:1/attrs",
                "qos": .stringConvertible(1),
                "filters": ["a", "b"],
                "peer": ["host": "127.0.0.1", "port": "5000"],
                "level": "shadowed",
            ]
        )
        let object = try #require(try capture.objects().first)
        #expect(object["client"] as? String == "dev-1")
        #expect(object["topic"] as? String == "admin:1/attrs")
        #expect(object["qos"] as? String == "1")
        #expect(object["filters"] as? [String] == ["a", "b"])
        #expect(object["peer"] as? [String: String] == ["host": "127.0.0.1", "port": "5000"])
        #expect(object["level"] as? String == "warning")
        #expect(object["metadata.level"] as? String == "shadowed")
    }

    @Test(arguments: [
        "quote \" backslash \\ slash /", "new\nline\r\ttab", "nul \u{0} bell \u{7} del \u{7F}",
        "unicode é ✓ 🚀", "\u{2028}",
    ])
    func messagesAreEscapedSoTheLineStaysValidJSON(message: String) throws {
        let capture = LogCapture()
        capture.logger().error("\(message)", metadata: ["\(message)": "\(message)"])
        let object = try #require(try capture.objects().first)
        #expect(object["message"] as? String == message)
        #expect(object[message] as? String == message)
    }

    @Test func handlerRespectsItsLogLevel() {
        let capture = LogCapture()
        let logger = capture.logger(level: .notice)
        logger.info("dropped")
        logger.notice("kept")
        #expect(capture.rawLines.count == 1)
    }

    @Test func metadataProviderValuesAreIncluded() throws {
        let capture = LogCapture()
        let output = capture.output
        let provider = Logger.MetadataProvider { ["trace-id": "abc"] }
        let logger = Logger(label: "p") { label in
            JSONLogHandler(label: label, metadataProvider: provider, output: output)
        }
        logger.info("with provider", metadata: ["trace-id": "event wins"])
        let object = try #require(try capture.objects().first)
        #expect(object["trace-id"] as? String == "event wins")
    }

    @Test(arguments: [("trace", .trace), ("critical", .critical), (nil, .info)] as [(String?, Logger.Level)])
    func logLevelIsReadFromTheEnvironment(value: String?, level: Logger.Level) throws {
        var reader = EnvironmentReader(value.map { ["LOG_LEVEL": $0] } ?? [:])
        #expect(try LoggingConfiguration(from: &reader).level == level)
    }

    @Test func badLogSettingsNameTheVariable() {
        var reader = EnvironmentReader(["LOG_FORMAT": "xml"])
        #expect(throws: ConfigurationError.self) { try LoggingConfiguration(from: &reader) }
        do {
            var reader = EnvironmentReader(["LOG_FORMAT": "xml"])
            _ = try LoggingConfiguration(from: &reader)
        } catch {
            #expect(error.message == "LOG_FORMAT: \"xml\" is not one of: plain, json")
        }
        var levelReader = EnvironmentReader(["LOG_LEVEL": "verbose"])
        #expect(throws: ConfigurationError.self) { try LoggingConfiguration(from: &levelReader) }
    }

    @Test func effectiveConfigurationIsLoggedInOneLineWithSecretsRedacted() throws {
        var reader = EnvironmentReader(["BROKER_MQTT_PORT": "1884", "API_SECRET": "hunter2"])
        _ = try reader.port("BROKER_MQTT_PORT", default: 1883)
        _ = reader.string("API_SECRET", default: "")
        let capture = LogCapture()
        reader.logEffectiveConfiguration(to: capture.logger())
        let object = try #require(try capture.objects().first)
        #expect(capture.rawLines.count == 1)
        #expect(object["BROKER_MQTT_PORT"] as? String == "1884")
        #expect(object["API_SECRET"] as? String == "<redacted>")
        #expect(!String(decoding: capture.rawLines[0], as: UTF8.self).contains("hunter2"))
    }
}
