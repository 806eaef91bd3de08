extension JSONValue {
    /// The member named `name` of this object; nil when there is none or this is not an object.
    /// For documents `JSONScanner` accepted (names are unique): nothing is checked again.
    public func member(_ name: String, in bytes: UnsafeRawBufferPointer) -> JSONValue? {
        guard kind == .object else { return nil }
        var name = name
        return name.withUTF8 { expected in
            var walk = ValidatedWalk(bytes: bytes, index: range.lowerBound + 1)
            while let (nameContent, value) = walk.nextMember() {
                let escaped = JSONStringContent.hasEscapes(bytes, nameContent)
                if JSONStringContent.equals(bytes, nameContent, escaped: escaped, UnsafeRawBufferPointer(expected)) { return value }
            }
            return nil
        }
    }
}

/// Steps over the values of a document the scanner accepted, finding where each one ends.
struct ValidatedWalk {
    let bytes: UnsafeRawBufferPointer
    var index: Int

    /// The next member of the object `index` is in: its name's content and its value; nil at
    /// the object's `}`.
    mutating func nextMember() -> (name: Range<Int>, value: JSONValue)? {
        skipWhitespace()
        if bytes[index] == UInt8(ascii: ",") {
            index += 1
            skipWhitespace()
        }
        guard bytes[index] == UInt8(ascii: "\"") else { return nil }
        let nameStart = index + 1
        skipString()
        let name = nameStart..<index - 1
        skipWhitespace()
        index += 1  // `:`
        skipWhitespace()
        return (name, skipValue())
    }

    private mutating func skipValue() -> JSONValue {
        let start = index
        let kind: JSONValue.Kind
        switch bytes[index] {
        case UInt8(ascii: "{"):
            kind = .object
            skipContainer()
        case UInt8(ascii: "["):
            kind = .array
            skipContainer()
        case UInt8(ascii: "\""):
            kind = .string
            skipString()
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            kind = .bool
            skipScalar()
        case UInt8(ascii: "n"):
            kind = .null
            skipScalar()
        default:
            kind = .number
            skipScalar()
        }
        return JSONValue(kind: kind, range: start..<index)
    }

    /// From a `{` or `[` to just past the bracket that closes it.
    private mutating func skipContainer() {
        var depth = 0
        while true {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                skipString()
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 {
                    index += 1
                    return
                }
            default:
                break
            }
            index += 1
        }
    }

    /// From an opening quote to just past the closing one.
    private mutating func skipString() {
        index += 1
        while bytes[index] != UInt8(ascii: "\"") { index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1 }
        index += 1
    }

    /// A number or literal: up to the next delimiter.
    private mutating func skipScalar() {
        while index < bytes.count, !JSONWhitespace.contains(bytes[index]) {
            switch bytes[index] {
            case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"): return
            default: index += 1
            }
        }
    }

    private mutating func skipWhitespace() {
        index = JSONWhitespace.end(in: bytes, from: index)
    }
}
