import Testing

@testable import JSONBytes

/// The scan as v2k-bridge runs it: depth 512, the top-level `timestamp` reported.
@Suite struct JSONScannerTests {
    private func scan(_ text: String) -> Result<JSONScanner.ScannedObject, JSONScanFailure> {
        scan(Array(text.utf8))
    }

    private func scan(_ bytes: [UInt8]) -> Result<JSONScanner.ScannedObject, JSONScanFailure> {
        JSONScanner.scanObject(bytes, maximumDepth: 512, member: "timestamp")
    }

    /// Fails as not JSON (rather than as empty or not an object).
    private func isInvalid(_ result: Result<JSONScanner.ScannedObject, JSONScanFailure>) -> Bool {
        guard case .failure(let failure) = result else { return false }
        return failure.reason != .empty && failure.reason != .notAnObject
    }

    /// The text of the reported `timestamp` value.
    private func timestamp(_ text: String) throws -> (JSONValue.Kind, String)? {
        guard let value = try scan(text).get().member else { return nil }
        return (value.kind, String(decoding: Array(text.utf8)[value.range], as: UTF8.self))
    }

    @Test(arguments: [
        "{}", " { } ", "{\"a\":1}", "{\"a\":[1,2,{\"b\":null}],\"c\":{\"d\":[[],{}]}}",
        "{\"s\":\"esc \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\uD83D\\uDE00\"}",
        "{\"n\":[0,-0,1.5,-12.25e10,3E-2,1e+5,12345678901234567890]}",
        "{\"t\":true,\"f\":false,\"z\":null}", "{\"utf8\":\"é中😀\"}", "\t\r\n{\"a\" : 1 ,\"b\" :\n2}\n",
        "{\"\":\"\"}", "{\"a\":{}}", "{\"a\":[]}",
        // Same names in different objects, near-limit and underflowing numbers are fine.
        "{\"a\":{\"a\":1},\"b\":[{\"k\":1},{\"k\":2}]}", "{\"n\":[1.7976931348623157e308,1e-400,-1e308]}",
        "{\"ab\":1,\"a\\u0062c\":2}",
        "{" + (0..<40).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + "}",
    ])
    func acceptsValidObjects(_ text: String) throws {
        let scanned = try scan(text).get()
        let bytes = Array(text.utf8)
        #expect(bytes[scanned.object.range.lowerBound] == UInt8(ascii: "{"))
        #expect(bytes[scanned.object.range.upperBound - 1] == UInt8(ascii: "}"))
    }

    @Test(arguments: [
        "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{,}", "{\"a\":1 \"b\":2}", "{a:1}", "{'a':1}",
        "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":-}", "{\"a\":1e}", "{\"a\":+1}", "{\"a\":NaN}",
        "{\"a\":tru}", "{\"a\":nul}", "{\"a\":True}", "{\"a\":[1,]}", "{\"a\":[1 2]}", "{\"a\":[}", "{\"a\":]}",
        "{\"a\":\"\\x\"}", "{\"a\":\"\\u12G4\"}", "{\"a\":\"unterminated}", "{\"a\":\"tab\there\"}",
        "{} {}", "{}x", "{\"a\":1}}", "{\"a\":[1]]}",
        // What a strict reader refuses: duplicate names (also escaped, nested, in a large object),
        // unpaired surrogates, numbers no double holds.
        "{\"a\":1,\"a\":2}", "{\"a\":1,\"\\u0061\":2}", "{\"x\":{\"t\":1,\"u\":2,\"t\":3}}", "[{\"k\":1,\"k\":1}]",
        "{" + (0..<40).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + ",\"k7\":0}",
        "{\"s\":\"\\ud800\"}", "{\"s\":\"\\udc00\"}", "{\"s\":\"\\ud83d\\u0041\"}", "{\"s\":\"\\ud83dx\"}",
        "{\"n\":1e400}", "{\"n\":-1E+309}", "{\"n\":1.8e308}",
    ])
    func rejectsInvalidJSON(_ text: String) {
        #expect(isInvalid(scan(text)), "accepted \(text)")
    }

    @Test func rejectsInvalidUTF8() {
        for bytes: [UInt8] in [[0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xC3], [0x80]] {
            let payload = Array("{\"a\":\"".utf8) + bytes + Array("\"}".utf8)
            #expect(scan(payload) == .failure(JSONScanFailure(.invalidUTF8, at: 6)), "accepted \(bytes)")
        }
    }

    @Test(arguments: ["1", "\"text\"", "[1,2]", "true", "null", " 3.5 "])
    func reportsValidNonObjects(_ text: String) {
        #expect((try? scan(text).get()) == nil)
        guard case .failure(let failure) = scan(text) else { return }
        #expect(failure.reason == .notAnObject)
    }

    @Test func reportsEmptyPayloads() {
        #expect(scan("") == .failure(JSONScanFailure(.empty, at: 0)))
        #expect(scan("  \n") == .failure(JSONScanFailure(.empty, at: 3)))
    }

    @Test func refusesExcessiveNesting() {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(scan("{\"a\":" + deep + "}") == .failure(JSONScanFailure(.tooDeep(limit: 512), at: 516)))
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect((try? scan("{\"a\":" + fine + "}").get()) != nil)
    }

    @Test func findsTopLevelTimestampNumber() throws {
        #expect(try timestamp(#"{"a":1,"timestamp":1616180000000,"b":2}"#)! == (.number, "1616180000000"))
    }

    @Test func findsTopLevelTimestampString() throws {
        #expect(try timestamp(#"{"timestamp":"2021-03-19T18:53:20Z"}"#)! == (.string, #""2021-03-19T18:53:20Z""#))
    }

    @Test func ignoresNestedTimestamps() throws {
        #expect(try scan(#"{"inner":{"timestamp":5},"list":[{"timestamp":6}]}"#).get().member == nil)
        #expect(try scan(#"{"inner":{"timestamp":5}}"#).get().member == nil)
        #expect(try timestamp(#"{"inner":{"timestamp":5},"timestamp":7}"#)! == (.number, "7"))
    }

    @Test func timestampAsAValueIsNotAKey() throws {
        #expect(try scan(#"{"key":"timestamp","list":["timestamp",1]}"#).get().member == nil)
    }

    @Test func twoTimestampsAreInvalidAndContainersAreReportedWhole() throws {
        // Which of two would be the time is a guess (readers differ): refused as a duplicate name.
        #expect(scan(#"{"timestamp":5,"timestamp":{"x":1}}"#) == .failure(JSONScanFailure(.duplicateMember, at: 34, memberName: "timestamp")))
        #expect(try timestamp(#"{"timestamp":{"x":[1]},"y":2}"#)! == (.object, #"{"x":[1]}"#))
        #expect(try timestamp(#"{"timestamp":true}"#)! == (.bool, "true"))
        #expect(try timestamp(#"{"timestamp":null}"#)! == (.null, "null"))
        #expect(try timestamp(#"{"timestamp":[]}"#)! == (.array, "[]"))
        #expect(try timestamp(#"{"timestamp":[[],{}] }"#)! == (.array, "[[],{}]"))
    }

    @Test func escapedKeyStillNamesTimestamp() throws {
        #expect(try timestamp(#"{"time\u0073tamp":12}"#)! == (.number, "12"))
        #expect(scan(#"{"timestamp":1,"time\u0073tamp":2}"#) == .failure(JSONScanFailure(.duplicateMember, at: 33, memberName: "timestamp")))
    }

    @Test func withoutANameNothingIsReported() throws {
        #expect(try JSONScanner.scanObject(Array(#"{"timestamp":1}"#.utf8), maximumDepth: 1).get().member == nil)
    }

    @Test func objectRangeExcludesWhitespace() throws {
        let scanned = try scan("  {\"a\":1}  ").get()
        #expect(scanned.object == JSONValue(kind: .object, range: 2..<9))
    }
}
