import NIOCore
import Testing

@testable import K2VBridge

@Suite struct DeviceManagerRecordDecoderTests {
    let decoder = DeviceManagerRecordDecoder(events: ["configure"], maxPayloadBytes: 64, maxPacketBytes: 100)

    /// Decodes `text` as read from `<tenant>.dojot.device-manager.device`.
    func decode(_ text: String, tenant: String = "a") -> RecordAction {
        decoder.decode(ByteBuffer(string: text), topic: "\(tenant).dojot.device-manager.device")
    }

    @Test func configureEventBecomesThePublishOfItsAttributes() {
        let action = decode(
            #"{"event":"configure","meta":{"service":"admin","timestamp":1616180000000},"data":{"id":"a1998e","attrs":{"target_temperature":23}}}"#, tenant: "admin")
        #expect(action == .publish(DeviceConfiguration(tenant: "admin", deviceID: "a1998e", payload: Array(#"{"target_temperature":23}"#.utf8))))
        if case .publish(let device) = action { #expect(device.topic == "admin:a1998e/config") }
    }

    @Test func attributesKeepKeyOrderAndNumberSpellingWithoutWhitespace() {
        let action = decode(
            "{ \"event\" : \"configure\", \"meta\": {\"service\": \"t\"},\n \"data\": {\"attrs\": { \"z\": 1.50, \"a\": [1, \"x y\", {\"k\": \"\\\" }\"}], \"m\": null }, \"id\": \"d\"} }",
            tenant: "t")
        let expected = #"{"z":1.50,"a":[1,"x y",{"k":"\" }"}],"m":null}"#
        #expect(action == .publish(DeviceConfiguration(tenant: "t", deviceID: "d", payload: Array(expected.utf8))))
    }

    @Test func eventsNotListedAreSkipped() {
        #expect(decode(#"{"event":"create","meta":{"service":"admin"},"data":{"id":"a","attrs":{}}}"#) == .skip(event: "create"))
        #expect(decode(#"{"event":"remove","data":{"id":"a"}}"#) == .skip(event: "remove"))
    }

    @Test(arguments: [
        ("not json", "not JSON"),
        (#"{"event":"configure""#, "not JSON"),
        ("[1,2]", "not a JSON object"),
        (#"{"meta":{"service":"a"},"data":{"id":"b","attrs":{}}}"#, "event"),
        (#"{"event":"configure","data":{"id":"b","attrs":{}}}"#, "meta"),
        (#"{"event":"configure","meta":{"service":1},"data":{"id":"b","attrs":{}}}"#, "meta.service"),
        (#"{"event":"configure","meta":{"service":"a"},"data":{"id":7,"attrs":{}}}"#, "data.id"),
        (#"{"event":"configure","meta":{"service":"a"},"data":{"attrs":{}}}"#, "data.id"),
        (#"{"event":"configure","meta":{"service":"a"},"data":{"id":"b","attrs":"x"}}"#, "data.attrs"),
        (#"{"event":"configure","meta":{"service":"a"},"data":{"id":"b"}}"#, "data.attrs"),
        (#"{"event":"configure","meta":{"service":"a/b"},"data":{"id":"b","attrs":{}}}"#, "is not the tenant of topic"),
        (#"{"event":"configure","meta":{"service":"other"},"data":{"id":"b","attrs":{}}}"#, "is not the tenant of topic a.dojot"),
        (##"{"event":"configure","meta":{"service":"a"},"data":{"id":"#","attrs":{}}}"##, "is not a dojot device id"),
        (#"{"event":"configure","meta":{"service":""},"data":{"id":"b","attrs":{}}}"#, "is not the tenant of topic"),
        (#"{"event":"configure","meta":{"service":"a"},"data":{"id":"b:c","attrs":{}}}"#, "is not a dojot device id"),
        (#"{"event":"configure","meta":{"service":"a"},"data":{"id":"b/c","attrs":{}}}"#, "is not a dojot device id"),
        ("{\"event\":\"configure\",\"meta\":{\"service\":\"a\"},\"data\":{\"id\":\"\(String(repeating: "d", count: 3000))\",\"attrs\":{}}}", "is not a dojot device id"),
        (#"{"event":"configure","meta":{"service":"a"},"data":{"id":"b","attrs":{}},"meta":{"service":"x"}}"#, "duplicate member \"meta\""),
        (#"{"event":"configure","meta":{"service":"a"},"data":{"id":"b","attrs":{"t":1,"t":2}}}"#, "duplicate member \"t\""),
        (#"{"event":"configure","meta":{"service":"a"},"data":{"id":"b","attrs":{"t":1e400}}}"#, "number out of range"),
        (#"{"event":"configure","meta":{"service":"a"},"data":{"id":"b","attrs":{"t":"\udc00"}}}"#, "unpaired surrogate"),
        (
            #"{"event":"configure","meta":{"service":"a"},"data":{"id":"0123456789012345678901234567890123456789","attrs":{"t":"0123456789012345678901234567890123456789012345"}}}"#,
            "more than the broker's 100"
        ),
        (#"{"event":"configure","meta":{"service":"a"},"data":{"id":"b","attrs":{"long":"0123456789012345678901234567890123456789012345678901234567890"}}}"#, "more than 64"),
    ])
    func malformedRecordsSayWhy(record: String, reason: String) {
        guard case .malformed(let text) = decode(record) else {
            Issue.record("not malformed: \(record)")
            return
        }
        #expect(text.contains(reason), "\(text)")
    }

    @Test func theTenantComesFromTheTopicAndMustBeADojotName() {
        let record = #"{"event":"configure","meta":{"service":"a+b"},"data":{"id":"d","attrs":{}}}"#
        guard case .malformed(let reason) = decode(record, tenant: "a+b") else {
            Issue.record("a+b accepted as a tenant")
            return
        }
        #expect(reason.contains("not a dojot tenant name"))
        let stray = decoder.decode(ByteBuffer(string: record), topic: "a+b.other-topic")
        guard case .malformed(let why) = stray else {
            Issue.record("a record from another topic was accepted")
            return
        }
        #expect(why.contains("does not end in"))
    }
}
