import Testing

@testable import JSONBytes

/// The scan as k2v-bridge runs it (depth 100), then members looked up by name.
@Suite struct JSONDocumentTests {
    private func scan(_ text: String) -> Result<JSONScanner.ScannedObject, JSONScanFailure> {
        JSONScanner.scanObject(Array(text.utf8), maximumDepth: 100)
    }

    /// Valid JSON: an object, or a valid value that is not one.
    private func isValid(_ text: String) -> Bool {
        switch scan(text) {
        case .success: true
        case .failure(let failure): failure.reason == .notAnObject
        }
    }

    private func reason(_ text: String) -> String? {
        guard case .failure(let failure) = scan(text) else { return nil }
        return failure.description
    }

    @Test(arguments: [
        "{}", "[]", "0", "-0.5e+10", "\"\\u00e9\\ud83d\\ude00\"", "true", "null", " { \"a\" : [ 1 , 2 ] } ",
        "{\"a\":{\"b\":{\"c\":[[[]]]}}}", "1e308", "[{\"k\":1},{\"k\":2}]", "{\"a\":{\"a\":1}}",
    ])
    func acceptsValidJSON(text: String) {
        #expect(isValid(text))
    }

    @Test(arguments: [
        "", "{", "{\"a\" 1}", "[1,]", "01", "1.", "-", "\"\\x\"", "\"a\nb\"", "tru", "{} {}", "\"\\ud800\"", "{'a':1}",
        "[1 2]", "nul", "{\"a\":1,\"a\":1}", "[{\"k\":[],\"k\":{}}]", "1e400", "-1E+999", "\"\\udc00\"",
    ])
    func rejectsInvalidJSON(text: String) {
        #expect(!isValid(text))
    }

    @Test func rejectsInvalidUTF8AndDeepNesting() {
        #expect(JSONScanner.scanObject([0x22, 0xC3, 0x28, 0x22], maximumDepth: 100) == .failure(JSONScanFailure(.invalidUTF8, at: 1)))
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(reason(deep) == "nested deeper than 100 at byte 100")
        #expect(isValid(String(repeating: "[", count: 100) + String(repeating: "]", count: 100)))
    }

    @Test func failuresSayWhyForLogLines() {
        #expect(reason(#"{"a":1,"a":2}"#) == #"duplicate member "a" at byte 12"#)
        #expect(reason(#"{"a":1,"\u0061":2}"#) == #"duplicate member "a" at byte 17"#)
        #expect(reason(#"{"t":1e400}"#) == "number out of range at byte 5")
        #expect(reason(#"{"t":"\udc00"}"#)?.hasPrefix("unpaired surrogate") == true)
        #expect(reason(#"{"t":"\ud83d\u0041"}"#)?.hasPrefix("unpaired surrogate") == true)
        #expect(reason(#"{"t":"\q"}"#)?.hasPrefix("invalid escape") == true)
        #expect(reason("{\"t\":\"a\tb\"}")?.hasPrefix("control character in a string") == true)
        #expect(reason("") == "no value at byte 0")
        #expect(reason("[1]") == "not an object at byte 0")
    }

    @Test func looksUpMembersByName() throws {
        let text = #"{ "event" : "configure", "meta": {"service": "t", "n": [1, {"service": "no"}]}, "data": {"id": "d", "attrs": {"z": 1.50}} }"#
        let bytes = Array(text.utf8)
        try bytes.withUnsafeBytes { bytes in
            let root = try JSONScanner.scanObject(bytes, maximumDepth: 100).get().object
            #expect(root.member("event", in: bytes)?.string(in: bytes) == "configure")
            let meta = try #require(root.member("meta", in: bytes))
            #expect(meta.kind == .object)
            #expect(meta.member("service", in: bytes)?.string(in: bytes) == "t")
            #expect(meta.member("n", in: bytes)?.kind == .array)
            let attrs = try #require(root.member("data", in: bytes)?.member("attrs", in: bytes))
            #expect(String(decoding: bytes[attrs.range], as: UTF8.self) == #"{"z": 1.50}"#)
            #expect(root.member("service", in: bytes) == nil)
            #expect(root.member("missing", in: bytes) == nil)
            #expect(meta.member("service", in: bytes)?.member("x", in: bytes) == nil)
        }
    }

    @Test func namesAndValuesWithEscapesAreDecoded() throws {
        let text = #"{"k":"a\"b\\c\u00e9\ud83d\ude00","\u006Eame":"x","last":[1,"]"],"n":-1.5e3}"#
        let bytes = Array(text.utf8)
        try bytes.withUnsafeBytes { bytes in
            let root = try JSONScanner.scanObject(bytes, maximumDepth: 100).get().object
            #expect(root.member("k", in: bytes)?.string(in: bytes) == "a\"b\\cé😀")
            #expect(root.member("name", in: bytes)?.string(in: bytes) == "x")
            #expect(root.member("last", in: bytes)?.string(in: bytes) == nil)
            let number = try #require(root.member("n", in: bytes))
            #expect(number.kind == .number)
            #expect(String(decoding: bytes[number.range], as: UTF8.self) == "-1.5e3")
        }
    }

    @Test func minifiedDropsOnlyTheWhitespaceBetweenTokens() {
        let text = "{ \"z\": 1.50, \"a\": [1, \"x y\", {\"k\": \"\\\" }\"}],\n\t\"m\": null }"
        let minified = Array(text.utf8).withUnsafeBytes { JSONMinifier.minified($0) }
        #expect(String(decoding: minified, as: UTF8.self) == #"{"z":1.50,"a":[1,"x y",{"k":"\" }"}],"m":null}"#)
    }
}
