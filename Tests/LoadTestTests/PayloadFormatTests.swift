import Foundation
import LoadTest
import NIOCore
import Testing

struct PayloadFormatTests {
    @Test func payloadIsAJSONObjectWithTimestampMarkerAndTemplateFields() throws {
        let format = PayloadFormat(run: "abc123", template: #"{"temperature": 21.5}"#)
        let payload = format.payload(device: 7, sequence: 3)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(payload.readableBytesView)) as? [String: Any])
        #expect(object["temperature"] as? Double == 21.5)
        #expect((object["timestamp"] as? Int).map { abs($0 - Int(Date().timeIntervalSince1970 * 1000)) < 5000 } == true)
        let marker = try #require(MessageMarker.find(in: payload, run: "abc123"))
        #expect(marker.device == 7 && marker.sequence == 3)
    }

    @Test func payloadIsPaddedToTheRequestedSize() {
        let payload = PayloadFormat(run: "r", payloadSize: 500).payload(device: 1, sequence: 1)
        #expect(payload.readableBytes == 500)
    }

    @Test func markerIsFoundInAReserialisedRecordAndIgnoredForOtherRuns() {
        let record = ByteBuffer(string: #"{"metadata":{"deviceid":"lt1"},"attrs":{"timestamp":1, "lt" : "run9.12.40.1700000000000000"}}"#)
        #expect(MessageMarker.find(in: record, run: "run9") == MessageMarker(device: 12, sequence: 40, sentMicros: 1_700_000_000_000_000))
        #expect(MessageMarker.find(in: record, run: "run8") == nil)
        #expect(MessageMarker.find(in: ByteBuffer(string: #"{"lt":"run9.x.1.2"}"#), run: "run9") == nil)
    }

    @Test func markerKeysOfDifferentMessagesDiffer() {
        let a = MessageMarker(device: 1, sequence: 2, sentMicros: 0).key
        let b = MessageMarker(device: 2, sequence: 1, sentMicros: 0).key
        #expect(a != b)
    }
}
