import Foundation
import NIOCore
import Testing

@testable import V2KBridge

@Suite struct AttrsTopicTests {
    @Test func parsesTenantDeviceAndKey() throws {
        let topic = "admin:a1998e/attrs"
        let parsed = try AttrsTopic.parse(topic).get()
        let bytes = Array(topic.utf8)
        #expect(String(decoding: bytes[parsed.tenant], as: UTF8.self) == "admin")
        #expect(String(decoding: bytes[parsed.device], as: UTF8.self) == "a1998e")
        #expect(String(decoding: bytes[parsed.identity], as: UTF8.self) == "admin:a1998e")
    }

    @Test(arguments: ["admin:dev/config", "admin:dev/attrs/x", "admin:dev", "attrs", "/attrs", "a/b/attrs", "admin:dev/attrsx", "admin:dev/Attrs"])
    func refusesTopicsThatAreNotAttrs(_ topic: String) {
        #expect(AttrsTopic.parse(topic) == .failure(.notAttrs))
    }

    @Test(arguments: ["admin/attrs", ":dev/attrs", "admin:/attrs", "a:b:c/attrs"])
    func refusesIdentitiesThatAreNotDevices(_ topic: String) {
        #expect(AttrsTopic.parse(topic) == .failure(.notDeviceIdentity))
    }

    @Test(arguments: ["ad min:dev/attrs", "admín:dev/attrs", "a*b:dev/attrs", String(repeating: "t", count: 201) + ":d/attrs"])
    func refusesTenantsThatCannotNameAKafkaTopic(_ topic: String) {
        #expect(AttrsTopic.parse(topic) == .failure(.invalidTenant))
    }
}

@Suite struct TimestampTests {
    @Test(arguments: [
        ("2021-03-19T18:53:20Z", Int64(1_616_180_000_000)),
        ("2021-03-19T18:53:20.123Z", 1_616_180_000_123),
        ("2021-03-19T18:53:20.1Z", 1_616_180_000_100),
        ("2021-03-19T18:53:20.123456789Z", 1_616_180_000_123),
        ("2021-03-19T18:53:20,5Z", 1_616_180_000_500),
        ("2021-03-19T21:53:20+03:00", 1_616_180_000_000),
        ("2021-03-19T15:53:20-0300", 1_616_180_000_000),
        ("2021-03-19T20:53:20+02", 1_616_180_000_000),
        ("2021-03-19T18:53:20", 1_616_180_000_000),
        ("2021-03-19 18:53:20z", 1_616_180_000_000),
        ("2021-03-19T18:53Z", 1_616_179_980_000),
        ("2021-03-19", 1_616_112_000_000),
        ("1970-01-01T00:00:00Z", 0),
        ("1969-12-31T23:59:59.999Z", -1),
        ("2000-02-29T00:00:00Z", 951_782_400_000),
    ])
    func parsesISO8601(_ text: String, _ expected: Int64) {
        #expect(ISO8601Timestamp.milliseconds(text) == expected)
    }

    @Test(arguments: [
        "", "2021", "2021-3-19", "2021-13-01", "2021-02-29", "2021-04-31", "2021-03-19T24:00:00Z", "2021-03-19T18:60Z",
        "2021-03-19T18:53:61Z", "2021-03-19T18:53:20.Z", "2021-03-19T18:53:20+25:00", "2021-03-19T18:53:20Q",
        "2021-03-19T18:53:20Z ", "yesterday", "2021-03-19X18:53:20Z",
    ])
    func refusesOtherStrings(_ text: String) {
        #expect(ISO8601Timestamp.milliseconds(text) == nil)
    }

    @Test func agreesWithFoundationOnManyInstants() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let milliseconds = Int64.random(in: -2_000_000_000_000...4_000_000_000_000, using: &generator)
            let text = formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
            // The formatter may round the last millisecond of a binary fraction either way.
            let parsed = ISO8601Timestamp.milliseconds(text)
            #expect(parsed.map { abs($0 - milliseconds) <= 1 } == true, "\(text)")
        }
    }

    @Test func numbersAreMilliseconds() {
        func number(_ text: String) -> Int64? { Array(text.utf8).withUnsafeBytes { PayloadTimestamp.number($0) } }
        #expect(number("1616180000000") == 1_616_180_000_000)
        #expect(number("-5") == -5)
        #expect(number("1616180000000.9") == 1_616_180_000_000)
        #expect(number("1.6e12") == 1_600_000_000_000)
        #expect(number("99999999999999999999") == nil)
        #expect(number("1e300") == nil)
    }
}

@Suite struct DeviceMessageConverterTests {
    private func convert(_ topic: String, _ payload: String, now: Int64 = 42) -> (Result<DeviceMessageConverter.Converted, DeviceMessageConverter.Invalid>, String) {
        var converter = DeviceMessageConverter(topicSuffix: "device-data")
        var topic = topic
        let result = topic.withUTF8 { converter.convert(topic: UnsafeRawBufferPointer($0), payload: ByteBuffer(string: payload), clock: { now }) }
        return (result, String(buffer: converter.value))
    }

    private func json(_ text: String) throws -> NSDictionary {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSDictionary)
    }

    @Test func buildsTheDojotMessage() throws {
        let (result, value) = convert("admin:a1998e/attrs", #"{"temperature":21.5,"on":true}"#, now: 1_616_180_000_000)
        let converted = try result.get()
        #expect(converted.kafkaTopic == "admin.device-data")
        #expect(converted.key == 0..<12)
        #expect(value == #"{"metadata":{"deviceid":"a1998e","tenant":"admin","timestamp":1616180000000},"attrs":{"temperature":21.5,"on":true}}"#)
        #expect(try json(value)["attrs"] as? NSDictionary == ["temperature": 21.5, "on": true])
    }

    @Test func usesThePayloadTimestamp() throws {
        let (_, numeric) = convert("t:d/attrs", #"{"timestamp":1500000000000,"v":1}"#)
        #expect((try json(numeric)["metadata"] as? NSDictionary)?["timestamp"] as? Int64 == 1_500_000_000_000)
        let (_, iso) = convert("t:d/attrs", #"{"v":1,"timestamp":"2021-03-19T18:53:20.123Z"}"#)
        #expect((try json(iso)["metadata"] as? NSDictionary)?["timestamp"] as? Int64 == 1_616_180_000_123)
        let (_, bad) = convert("t:d/attrs", #"{"timestamp":"soon"}"#, now: 7)
        #expect((try json(bad)["metadata"] as? NSDictionary)?["timestamp"] as? Int64 == 7)
        let (_, nested) = convert("t:d/attrs", #"{"x":{"timestamp":1}}"#, now: 9)
        #expect((try json(nested)["metadata"] as? NSDictionary)?["timestamp"] as? Int64 == 9)
        let (_, escaped) = convert("t:d/attrs", #"{"timestamp":"2021-03-19T18:53:20\u005a"}"#)
        #expect((try json(escaped)["metadata"] as? NSDictionary)?["timestamp"] as? Int64 == 1_616_180_000_000)
    }

    @Test func escapesTheDeviceID() throws {
        let (result, value) = convert(#"t:we"ird\dev/attrs"#, "{}")
        _ = try result.get()
        #expect((try json(value)["metadata"] as? NSDictionary)?["deviceid"] as? String == #"we"ird\dev"#)
    }

    @Test func refusesNonObjectsAndInvalidJSON() {
        #expect(convert("t:d/attrs", "[1,2]").0 == .failure(.payload(.notAnObject)))
        #expect(convert("t:d/attrs", "42").0 == .failure(.payload(.notAnObject)))
        #expect(convert("t:d/attrs", "error format").0 == .failure(.payload(.invalidJSON(offset: 0))))
        #expect(convert("t:d/attrs", "").0 == .failure(.payload(.empty)))
    }

    @Test func refusesTopicsThatAreNotAttrs() {
        #expect(convert("t:d/config", "{}").0 == .failure(.topic(.notAttrs)))
        #expect(convert("device/attrs", "{}").0 == .failure(.topic(.notDeviceIdentity)))
    }

    @Test func tenantAndSuffixMustFitAKafkaTopicName() {
        let tenant = String(repeating: "t", count: 237)
        #expect((try? convert("\(tenant):d/attrs", "{}").0.get().kafkaTopic.count) == 249)
        #expect(convert("\(tenant)t:d/attrs", "{}").0 == .failure(.topic(.invalidTenant)))
    }

    @Test func fixedTimestampWinsForRetries() throws {
        var converter = DeviceMessageConverter(topicSuffix: "s")
        var topic = "t:d/attrs"
        let converted = try topic.withUTF8 {
            converter.convert(topic: UnsafeRawBufferPointer($0), payload: ByteBuffer(string: #"{"timestamp":5}"#), timestamp: 11, clock: { 0 })
        }.get()
        #expect(converted.timestamp == 11)
        #expect(converted.kafkaTopic == "t.s")
    }
}
