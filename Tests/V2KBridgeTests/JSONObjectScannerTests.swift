import Testing

@testable import V2KBridge

@Suite struct JSONObjectScannerTests {
    private func scan(_ text: String) -> Result<JSONObjectScanner.Scanned, JSONObjectScanner.Failure> {
        JSONObjectScanner.scan(Array(text.utf8))
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
        #expect(bytes[scanned.object.lowerBound] == UInt8(ascii: "{"))
        #expect(bytes[scanned.object.upperBound - 1] == UInt8(ascii: "}"))
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
        guard case .failure(.invalidJSON) = scan(text) else {
            Issue.record("accepted \(text)")
            return
        }
    }

    @Test func rejectsInvalidUTF8() {
        for bytes: [UInt8] in [[0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xC3], [0x80]] {
            let payload = Array("{\"a\":\"".utf8) + bytes + Array("\"}".utf8)
            guard case .failure(.invalidJSON) = JSONObjectScanner.scan(payload) else {
                Issue.record("accepted \(bytes)")
                continue
            }
        }
    }

    @Test(arguments: ["1", "\"text\"", "[1,2]", "true", "null", " 3.5 "])
    func reportsValidNonObjects(_ text: String) {
        #expect(scan(text) == .failure(.notAnObject))
    }

    @Test func reportsEmptyPayloads() {
        #expect(scan("") == .failure(.empty))
        #expect(scan("  \n") == .failure(.empty))
    }

    @Test func refusesExcessiveNesting() {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(scan("{\"a\":" + deep + "}") == .failure(.tooDeep))
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect((try? scan("{\"a\":" + fine + "}").get()) != nil)
    }

    @Test func findsTopLevelTimestampNumber() throws {
        let text = #"{"a":1,"timestamp":1616180000000,"b":2}"#
        let scanned = try scan(text).get()
        guard case .number(let range) = scanned.timestamp else {
            Issue.record("no timestamp")
            return
        }
        #expect(String(decoding: Array(text.utf8)[range], as: UTF8.self) == "1616180000000")
    }

    @Test func findsTopLevelTimestampString() throws {
        let text = #"{"timestamp":"2021-03-19T18:53:20Z"}"#
        let scanned = try scan(text).get()
        guard case .string(let range, escaped: false) = scanned.timestamp else {
            Issue.record("no timestamp")
            return
        }
        #expect(String(decoding: Array(text.utf8)[range], as: UTF8.self) == "2021-03-19T18:53:20Z")
    }

    @Test func ignoresNestedTimestamps() throws {
        #expect(try scan(#"{"inner":{"timestamp":5},"list":[{"timestamp":6}]}"#).get().timestamp == nil)
        #expect(try scan(#"{"inner":{"timestamp":5}}"#).get().timestamp == nil)
        let text = #"{"inner":{"timestamp":5},"timestamp":7}"#
        guard case .number(let range) = try scan(text).get().timestamp else {
            Issue.record("no timestamp")
            return
        }
        #expect(String(decoding: Array(text.utf8)[range], as: UTF8.self) == "7")
    }

    @Test func timestampAsAValueIsNotAKey() throws {
        #expect(try scan(#"{"key":"timestamp","list":["timestamp",1]}"#).get().timestamp == nil)
    }

    @Test func twoTimestampsAreInvalidAndOtherTypesCount() throws {
        // Which of two would be the time is a guess (readers differ): refused as a duplicate name.
        #expect(scan(#"{"timestamp":5,"timestamp":{"x":1}}"#) == .failure(.invalidJSON(offset: 34)))
        #expect(try scan(#"{"timestamp":{"x":1}}"#).get().timestamp == .other)
        #expect(try scan(#"{"timestamp":true}"#).get().timestamp == .other)
        #expect(try scan(#"{"timestamp":[]}"#).get().timestamp == .other)
    }

    @Test func escapedKeyStillNamesTimestamp() throws {
        let scanned = try scan(#"{"time\u0073tamp":12}"#).get()
        guard case .number = scanned.timestamp else {
            Issue.record("escaped key not recognised")
            return
        }
    }

    @Test func objectRangeExcludesWhitespace() throws {
        let scanned = try scan("  {\"a\":1}  ").get()
        #expect(scanned.object == 2..<9)
    }
}
