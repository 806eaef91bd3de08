import Testing

@testable import JSONBytes

@Suite struct JSONStringTests {
    @Test func escapesQuotesBackslashesAndControlCharacters() {
        var bytes: [UInt8] = []
        JSONString.append("q\" b\\ n\n r\r t\t nul\u{0} del\u{7F} é", to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == #""q\" b\\ n\n r\r t\t nul\u0000 del\u007f é""#)
    }

    @Test func writesSmallObjectsInOrder() {
        let bytes = JSONString.object([("status", .string("ok")), ("checks", .strings(["a", "b\""])), ("none", .strings([]))])
        #expect(String(decoding: bytes, as: UTF8.self) == #"{"status":"ok","checks":["a","b\""],"none":[]}"#)
    }

    @Test func whatItWritesScansBack() throws {
        var bytes: [UInt8] = []
        JSONString.append("line\none \u{1} \"quoted\" 😀", to: &bytes)
        let document = Array(#"{"v":"#.utf8) + bytes + Array("}".utf8)
        try document.withUnsafeBytes { document in
            let root = try JSONScanner.scanObject(document, maximumDepth: 1).get().object
            #expect(root.member("v", in: document)?.string(in: document) == "line\none \u{1} \"quoted\" 😀")
        }
    }
}
