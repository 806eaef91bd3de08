import Foundation
import Testing

@testable import ServiceRuntime

@Suite struct EnvironmentReaderTests {
    /// Runs `read` against `environment` and returns the error it throws.
    private func error<T>(
        _ environment: [String: String],
        _ read: (inout EnvironmentReader) throws(ConfigurationError) -> T
    ) -> ConfigurationError? {
        var reader = EnvironmentReader(environment)
        do {
            _ = try read(&reader)
            return nil
        } catch {
            return error
        }
    }

    // MARK: string

    @Test func stringReturnsValueOrDefault() {
        var reader = EnvironmentReader(["NAME": "broker", "EMPTY": ""])
        #expect(reader.string("NAME", default: "x") == "broker")
        #expect(reader.string("EMPTY", default: "x") == "")
        #expect(reader.string("UNSET", default: "x") == "x")
        #expect(reader.optionalString("UNSET") == nil)
        #expect(reader.optionalString("EMPTY") == "")
    }

    @Test func requiredStringThrowsWhenUnsetOrBlank() throws {
        var reader = EnvironmentReader(["HOST": "kafka"])
        #expect(try reader.requiredString("HOST") == "kafka")
        let unset = error([:]) { reader throws(ConfigurationError) in try reader.requiredString("PKI_URL") }
        #expect(unset?.variable == "PKI_URL")
        #expect(unset?.message.hasPrefix("PKI_URL:") == true)
        #expect(
            error(["PKI_URL": "  "]) { reader throws(ConfigurationError) in try reader.requiredString("PKI_URL") }
                != nil
        )
    }

    // MARK: int

    @Test(arguments: [("5", 5), (" 42 ", 42), ("-3", -3), ("100", 100)])
    func intAcceptsIntegersInRange(text: String, expected: Int) throws {
        var reader = EnvironmentReader(["N": text])
        #expect(try reader.int("N", default: 0, in: -10...100) == expected)
    }

    @Test func intTakesDefaultWhenUnsetOrEmpty() throws {
        var reader = EnvironmentReader(["EMPTY": ""])
        #expect(try reader.int("UNSET", default: 7) == 7)
        #expect(try reader.int("EMPTY", default: 7) == 7)
    }

    @Test(arguments: ["abc", "1.5", "101", "-11", "0x10", "9999999999999999999999"])
    func intRejectsBadValuesNamingTheVariable(text: String) {
        let failure = error(["BROKER_MAX_INFLIGHT": text]) { reader throws(ConfigurationError) in
            try reader.int("BROKER_MAX_INFLIGHT", default: 100, in: -10...100)
        }
        #expect(failure?.message == "BROKER_MAX_INFLIGHT: \"\(text)\" is not an integer (-10-100)")
    }

    @Test func intMessageDescribesOpenRanges() {
        let failure = error(["N": "0"]) { reader throws(ConfigurationError) in
            try reader.int("N", default: 1, in: 1...Int.max)
        }
        #expect(failure?.message == "N: \"0\" is not an integer >= 1")
    }

    // MARK: bool

    @Test(arguments: [
        ("true", true), ("TRUE", true), ("1", true), ("yes", true), ("Yes", true),
        ("false", false), ("0", false), ("no", false), ("NO", false),
    ])
    func boolAcceptsTheSixSpellings(text: String, expected: Bool) throws {
        var reader = EnvironmentReader(["B": text])
        #expect(try reader.bool("B", default: !expected) == expected)
    }

    @Test(arguments: ["maybe", "2", "on", "y"])
    func boolRejectsOtherValues(text: String) {
        let failure = error(["V2K_MQTT_REJECT_UNAUTHORIZED": text]) { reader throws(ConfigurationError) in
            try reader.bool("V2K_MQTT_REJECT_UNAUTHORIZED", default: true)
        }
        #expect(
            failure?.message == "V2K_MQTT_REJECT_UNAUTHORIZED: \"\(text)\" is not a boolean (true/false, 1/0, yes/no)"
        )
    }

    // MARK: port

    @Test(arguments: [("0", 0), ("1883", 1883), ("65535", 65535)])
    func portAcceptsZeroToMax(text: String, expected: Int) throws {
        var reader = EnvironmentReader(["P": text])
        #expect(try reader.port("P", default: 1) == expected)
    }

    @Test(arguments: ["abc", "65536", "-1", "80 80"])
    func portRejectsBadValues(text: String) {
        let failure = error(["BROKER_MQTT_PORT": text]) { reader throws(ConfigurationError) in
            try reader.port("BROKER_MQTT_PORT", default: 1883)
        }
        #expect(failure?.message == "BROKER_MQTT_PORT: \"\(text)\" is not a port (0-65535)")
        #expect(failure?.variable == "BROKER_MQTT_PORT")
    }

    // MARK: duration

    @Test func durationReadsMillisecondsAndSeconds() throws {
        var reader = EnvironmentReader(["LIFETIME": "1800000", "INTERVAL": "7200"])
        #expect(try reader.duration("LIFETIME", default: .zero, unit: .milliseconds) == .seconds(1800))
        #expect(try reader.duration("INTERVAL", default: .zero, unit: .seconds) == .seconds(7200))
        #expect(try reader.duration("UNSET", default: .seconds(3), unit: .milliseconds) == .seconds(3))
    }

    @Test(arguments: ["-1", "10s", "1.5", "soon"])
    func durationRejectsBadValues(text: String) {
        let failure = error(["PLUGIN_DISC_LIFETIME_SESSION": text]) { reader throws(ConfigurationError) in
            try reader.duration("PLUGIN_DISC_LIFETIME_SESSION", default: .zero, unit: .milliseconds)
        }
        #expect(
            failure?.message
                == "PLUGIN_DISC_LIFETIME_SESSION: \"\(text)\" is not a duration in milliseconds (a non-negative integer)"
        )
    }

    // MARK: enumerations

    enum MQTTProtocol: String, CaseIterable { case mqtt, mqtts }

    @Test func oneOfAndEnumerationAcceptAllowedValues() throws {
        var reader = EnvironmentReader(["BROKER_AUTHZ": "acl-file", "V2K_MQTT_PROTOCOL": "mqtt"])
        #expect(
            try reader.oneOf("BROKER_AUTHZ", default: "dojot", allowed: ["dojot", "acl-file", "none"]) == "acl-file"
        )
        #expect(try reader.enumeration("V2K_MQTT_PROTOCOL", default: MQTTProtocol.mqtts) == .mqtt)
        #expect(try reader.enumeration("UNSET", default: MQTTProtocol.mqtts) == .mqtts)
    }

    @Test func oneOfRejectsOtherValuesListingTheAllowedOnes() {
        let failure = error(["BROKER_AUTHZ": "Dojot"]) { reader throws(ConfigurationError) in
            try reader.oneOf("BROKER_AUTHZ", default: "dojot", allowed: ["dojot", "acl-file", "none"])
        }
        #expect(failure?.message == "BROKER_AUTHZ: \"Dojot\" is not one of: dojot, acl-file, none")
        let enumFailure = error(["V2K_MQTT_PROTOCOL": "http"]) { reader throws(ConfigurationError) in
            try reader.enumeration("V2K_MQTT_PROTOCOL", default: MQTTProtocol.mqtts)
        }
        #expect(enumFailure?.message == "V2K_MQTT_PROTOCOL: \"http\" is not one of: mqtt, mqtts")
    }

    // MARK: lists

    @Test func listSplitsOnCommasTrimmingAndDroppingEmptyItems() {
        var reader = EnvironmentReader(["K2V_EVENTS": " configure, remove ,,update ", "BLANK": " "])
        #expect(reader.list("K2V_EVENTS", default: []) == ["configure", "remove", "update"])
        #expect(reader.list("UNSET", default: ["configure"]) == ["configure"])
        #expect(reader.list("BLANK", default: ["configure"]) == ["configure"])
    }

    // MARK: file paths

    @Test func filePathReturnsValueOrDefault() throws {
        var reader = EnvironmentReader(["BROKER_TLS_CA": "/etc/ca.crt"])
        #expect(try reader.filePath("BROKER_TLS_CA", default: "/certs/ca.crt") == "/etc/ca.crt")
        #expect(try reader.filePath("BROKER_TLS_CERT", default: "/certs/b.crt") == "/certs/b.crt")
    }

    @Test func filePathThatMustExistRejectsMissingFilesAndDirectories() throws {
        let existing = FileManager.default.temporaryDirectory.appendingPathComponent("runtime-\(UUID()).txt").path
        try Data("x".utf8).write(to: URL(fileURLWithPath: existing))
        defer { try? FileManager.default.removeItem(atPath: existing) }

        var reader = EnvironmentReader(["F": existing])
        #expect(try reader.filePath("F", default: "", mustExist: true) == existing)
        let missing = error(["BROKER_ACL_FILE": "/nonexistent/acl"]) { reader throws(ConfigurationError) in
            try reader.filePath("BROKER_ACL_FILE", default: "", mustExist: true)
        }
        #expect(missing?.message == "BROKER_ACL_FILE: \"/nonexistent/acl\" is not a readable file")
        let directory = error(["BROKER_ACL_FILE": "/tmp"]) { reader throws(ConfigurationError) in
            try reader.filePath("BROKER_ACL_FILE", default: "", mustExist: true)
        }
        #expect(directory?.variable == "BROKER_ACL_FILE")
    }

    @Test func optionalFilePathIsSwitchedOffByAnEmptyValue() throws {
        var reader = EnvironmentReader(["BROKER_TLS_CRL": ""])
        #expect(try reader.optionalFilePath("BROKER_TLS_CRL", default: "/certs/ca.crl") == nil)
        #expect(try reader.optionalFilePath("UNSET", default: "/certs/ca.crl") == "/certs/ca.crl")
    }

    // MARK: errors and the effective configuration

    @Test func errorMessageEscapesControlCharactersAndHidesSecrets() {
        let control = error(["P": "1\n2"]) { reader throws(ConfigurationError) in try reader.port("P", default: 1) }
        #expect(control?.message == "P: \"1\\n2\" is not a port (0-65535)")
        let secret = error(["API_TOKEN_TTL": "hunter2"]) { reader throws(ConfigurationError) in
            try reader.int("API_TOKEN_TTL", default: 1)
        }
        #expect(secret?.message == "API_TOKEN_TTL: \"<redacted>\" is not an integer")
    }

    @Test func effectiveConfigurationRecordsValuesDefaultsAndRedactsSecrets() throws {
        var reader = EnvironmentReader([
            "BROKER_MQTT_PORT": "1884", "DB_PASSWORD": "hunter2", "BROKER_TLS_KEY": "/certs/b.key",
        ])
        _ = try reader.port("BROKER_MQTT_PORT", default: 1883)
        _ = try reader.port("BROKER_HTTP_PORT", default: 8888)
        _ = reader.string("DB_PASSWORD", default: "")
        _ = try reader.filePath("BROKER_TLS_KEY", default: "/certs/x.key")
        _ = try reader.duration("LIFETIME", default: .seconds(1800), unit: .milliseconds)
        _ = try reader.port("BROKER_MQTT_PORT", default: 1883)

        let entries = reader.effectiveConfiguration
        #expect(
            entries.map(\.name) == [
                "BROKER_MQTT_PORT", "BROKER_HTTP_PORT", "DB_PASSWORD", "BROKER_TLS_KEY", "LIFETIME",
            ]
        )
        #expect(entries.map(\.loggableValue) == ["1884", "8888", "<redacted>", "/certs/b.key", "1800000 ms"])
        #expect(entries.map(\.isSet) == [true, false, true, true, false])
    }

    @Test(arguments: [
        ("BROKER_TLS_KEY", true), ("sasl.password", true), ("CLIENT_SECRET", true),
        ("ACCESS_TOKEN", true), ("BROKER_MQTT_PORT", false),
    ])
    func secretsAreRecognisedByName(name: String, isSecret: Bool) {
        #expect(ConfigurationRedaction.isSecret(name) == isSecret)
    }
}
