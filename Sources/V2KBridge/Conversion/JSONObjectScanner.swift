/// Validates a payload as one JSON object (RFC 8259, UTF-8) without building anything, and finds
/// its top-level `timestamp` member on the way.
///
/// The bridge embeds the payload bytes verbatim in the Kafka value, so it only needs to know that
/// they are a well-formed object; a parse into Foundation objects and back would cost several
/// allocations per message. The scanner is iterative (a depth stack on the stack, no recursion)
/// and allocates nothing on valid input of ordinary size.
///
/// Strict where RFC 8259 leaves the outcome to the reader, so that every consumer of the Kafka
/// record reads the same thing: duplicate member names, unpaired UTF-16 surrogate escapes and
/// numbers beyond a double's range are invalid.
public enum JSONObjectScanner {
    /// Deeper nesting is refused (as JSON parsers do), which bounds the work per byte.
    public static let maximumDepth = 512

    /// The object's bytes and its top-level `timestamp`, as offsets into the scanned bytes.
    public struct Scanned: Sendable, Hashable {
        /// From `{` to `}` inclusive, without surrounding whitespace.
        public var object: Range<Int>
        /// The value of the top-level `timestamp` member; nil when there is none.
        public var timestamp: TimestampValue?
    }

    public enum TimestampValue: Sendable, Hashable {
        /// The number's text.
        case number(Range<Int>)
        /// The string's content, without the quotes; `escaped` when it holds `\` escapes.
        case string(Range<Int>, escaped: Bool)
        /// Any other JSON value (object, array, boolean, null).
        case other
    }

    public enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
        case empty
        /// Valid JSON, but not an object.
        case notAnObject
        /// Not JSON: the first offending byte offset.
        case invalidJSON(offset: Int)
        case tooDeep

        public var description: String {
            switch self {
            case .empty: "empty payload"
            case .notAnObject: "the payload is JSON but not an object"
            case .invalidJSON(let offset): "invalid JSON at byte \(offset)"
            case .tooDeep: "JSON nested deeper than \(JSONObjectScanner.maximumDepth)"
            }
        }
    }

    public static func scan(_ bytes: UnsafeRawBufferPointer) -> Result<Scanned, Failure> {
        withUnsafeTemporaryAllocation(of: Bool.self, capacity: maximumDepth) { isObject in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: maximumDepth) { keyBase in
                // A member takes at least 4 bytes (`"":0`): room for every key of the document.
                withUnsafeTemporaryAllocation(of: KeySpan.self, capacity: bytes.count / 4 + 2) { keys in
                    var scanner = Scanner(bytes: bytes, isObject: isObject, keyBase: keyBase, keys: keys)
                    return scanner.run()
                }
            }
        }
    }

    public static func scan(_ bytes: [UInt8]) -> Result<Scanned, Failure> {
        bytes.withUnsafeBytes { scan($0) }
    }
}

/// A member name's content in the document, for the duplicate check.
struct KeySpan {
    var start: UInt32
    var end: UInt32
    var escaped: Bool

    var range: Range<Int> { Int(start)..<Int(end) }
}

/// The scan itself. `isObject[d]` says whether the container at depth `d` is an object;
/// `keys[keyBase[d]..<keyCount]` are the names of that object seen so far.
private struct Scanner {
    let bytes: UnsafeRawBufferPointer
    let isObject: UnsafeMutableBufferPointer<Bool>
    let keyBase: UnsafeMutableBufferPointer<Int>
    let keys: UnsafeMutableBufferPointer<KeySpan>
    var keyCount = 0
    var index = 0
    var depth = 0
    var timestamp: JSONObjectScanner.TimestampValue?

    init(
        bytes: UnsafeRawBufferPointer, isObject: UnsafeMutableBufferPointer<Bool>,
        keyBase: UnsafeMutableBufferPointer<Int>, keys: UnsafeMutableBufferPointer<KeySpan>
    ) {
        self.bytes = bytes
        self.isObject = isObject
        self.keyBase = keyBase
        self.keys = keys
    }

    typealias Failure = JSONObjectScanner.Failure

    mutating func run() -> Result<JSONObjectScanner.Scanned, Failure> {
        skipWhitespace()
        guard index < bytes.count else { return .failure(.empty) }
        let start = index
        let startsObject = bytes[index] == UInt8(ascii: "{")
        if let failure = scanValue() { return .failure(failure) }
        let end = index
        skipWhitespace()
        guard index == bytes.count else { return .failure(.invalidJSON(offset: index)) }
        guard startsObject else { return .failure(.notAnObject) }
        return .success(.init(object: start..<end, timestamp: timestamp))
    }

    /// Scans one complete value (containers included) starting at `index`.
    private mutating func scanValue() -> Failure? {
        // `pendingKeyIsTimestamp`: the value about to be scanned belongs to a top-level `timestamp`.
        var pendingKeyIsTimestamp = false
        while true {
            // Expecting a value.
            skipWhitespace()
            guard index < bytes.count else { return .invalidJSON(offset: index) }
            let valueStart = index
            switch bytes[index] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let object = bytes[index] == UInt8(ascii: "{")
                if pendingKeyIsTimestamp { timestamp = .other }
                pendingKeyIsTimestamp = false
                guard depth < isObject.count else { return .tooDeep }
                isObject[depth] = object
                keyBase[depth] = keyCount
                depth += 1
                index += 1
                skipWhitespace()
                guard index < bytes.count else { return .invalidJSON(offset: index) }
                if bytes[index] == (object ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    index += 1
                    depth -= 1
                    break  // an empty container is a complete value
                }
                if object {
                    switch scanKey() {
                    case .failure(let failure): return failure
                    case .success(let isTimestamp): pendingKeyIsTimestamp = isTimestamp
                    }
                }
                continue  // the first member's or element's value
            case UInt8(ascii: "\""):
                guard let escaped = scanString() else { return .invalidJSON(offset: index) }
                if pendingKeyIsTimestamp { timestamp = .string(valueStart + 1..<index - 1, escaped: escaped) }
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard scanNumber() else { return .invalidJSON(offset: index) }
                guard JSONNumberRange.isFinite(bytes, valueStart..<index) else { return .invalidJSON(offset: valueStart) }
                if pendingKeyIsTimestamp { timestamp = .number(valueStart..<index) }
            case UInt8(ascii: "t"):
                guard scanLiteral("true") else { return .invalidJSON(offset: index) }
                if pendingKeyIsTimestamp { timestamp = .other }
            case UInt8(ascii: "f"):
                guard scanLiteral("false") else { return .invalidJSON(offset: index) }
                if pendingKeyIsTimestamp { timestamp = .other }
            case UInt8(ascii: "n"):
                guard scanLiteral("null") else { return .invalidJSON(offset: index) }
                if pendingKeyIsTimestamp { timestamp = .other }
            default:
                return .invalidJSON(offset: index)
            }
            pendingKeyIsTimestamp = false

            // A value is complete: close containers until one continues with `,`.
            while true {
                guard depth > 0 else { return nil }
                skipWhitespace()
                guard index < bytes.count else { return .invalidJSON(offset: index) }
                let object = isObject[depth - 1]
                let byte = bytes[index]
                if byte == UInt8(ascii: ",") {
                    index += 1
                    if object {
                        skipWhitespace()
                        switch scanKey() {
                        case .failure(let failure): return failure
                        case .success(let isTimestamp): pendingKeyIsTimestamp = isTimestamp
                        }
                    }
                    break  // the next value
                }
                guard byte == (object ? UInt8(ascii: "}") : UInt8(ascii: "]")) else { return .invalidJSON(offset: index) }
                if object {
                    let members = UnsafeMutableBufferPointer(rebasing: keys[keyBase[depth - 1]..<keyCount])
                    guard !JSONDuplicateKeys.found(in: members, of: bytes) else { return .invalidJSON(offset: index) }
                    keyCount = keyBase[depth - 1]
                }
                index += 1
                depth -= 1
            }
        }
    }

    /// Scans `"key"` and the `:` after it; tells whether the key is a top-level `timestamp`.
    private mutating func scanKey() -> Result<Bool, Failure> {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return .failure(.invalidJSON(offset: index)) }
        let start = index + 1
        guard let escaped = scanString() else { return .failure(.invalidJSON(offset: index)) }
        let key = start..<index - 1
        guard keyCount < keys.count else { return .failure(.invalidJSON(offset: index)) }
        keys[keyCount] = KeySpan(start: UInt32(key.lowerBound), end: UInt32(key.upperBound), escaped: escaped)
        keyCount += 1
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return .failure(.invalidJSON(offset: index)) }
        index += 1
        return .success(depth == 1 && JSONStringBytes.equals(bytes, key, escaped: escaped, "timestamp"))
    }

    /// Scans a string from its opening quote to just past its closing quote, checking escapes,
    /// control characters and UTF-8. Returns whether it had escapes, nil when invalid.
    private mutating func scanString() -> Bool? {
        index += 1
        var escaped = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return escaped
            }
            if byte == UInt8(ascii: "\\") {
                escaped = true
                index += 1
                guard index < bytes.count else { return nil }
                switch bytes[index] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                    UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 1
                case UInt8(ascii: "u"):
                    guard let unit = hex4(at: index + 1) else { return nil }
                    index += 5
                    if (0xDC00...0xDFFF).contains(unit) { return nil }  // a low surrogate alone
                    if (0xD800...0xDBFF).contains(unit) {
                        // A high surrogate must be followed by an escaped low one.
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u"),
                            let low = hex4(at: index + 2), (0xDC00...0xDFFF).contains(low)
                        else { return nil }
                        index += 6
                    }
                default:
                    return nil
                }
            } else if byte < 0x20 {
                return nil
            } else if byte < 0x80 {
                index += 1
            } else {
                guard let length = UTF8Validation.sequenceLength(bytes, at: index) else { return nil }
                index += length
            }
        }
        return nil
    }

    /// The four hex digits at `at` as a UTF-16 code unit; nil when they are not all there.
    private func hex4(at start: Int) -> UInt16? {
        guard start + 4 <= bytes.count else { return nil }
        var value: UInt16 = 0
        for offset in 0..<4 {
            guard let digit = JSONStringBytes.hexValue(bytes[start + offset]) else { return nil }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    private mutating func scanNumber() -> Bool {
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count else { return false }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            guard scanDigits() else { return false }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard scanDigits() else { return false }
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard scanDigits() else { return false }
        }
        return true
    }

    /// One or more digits.
    private mutating func scanDigits() -> Bool {
        let start = index
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        return index > start
    }

    private mutating func scanLiteral(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] { return false }
        index += count
        return true
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): index += 1
            default: return
            }
        }
    }
}
