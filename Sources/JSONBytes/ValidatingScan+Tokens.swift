/// The tokens of `ValidatingScan`: strings, numbers, literals, whitespace.
extension ValidatingScan {
    /// Scans a string from its opening quote to just past its closing quote, checking escapes,
    /// control characters and UTF-8. Tells whether it had escapes; nil when it is invalid.
    mutating func scanString() -> Bool? {
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
                switch JSONEscape.decode(bytes, at: index, end: bytes.count) {
                case .scalar(_, let length): index += length
                case .invalid(let reason): return fail(reason)
                }
            } else if byte < 0x20 {
                return fail(.controlCharacter)
            } else if byte < 0x80 {
                index += 1
            } else {
                guard let length = UTF8Validation.sequenceLength(bytes, at: index) else { return fail(.invalidUTF8) }
                index += length
            }
        }
        return fail(.unterminatedString)
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    /// (Inlined, like `scanLiteral`: a call per value is a measurable part of a small payload's scan.)
    @inline(__always) mutating func scanNumber() -> Bool {
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

    @inline(__always) mutating func scanLiteral(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] { return false }
        index += count
        return true
    }

    mutating func skipWhitespace() {
        index = JSONWhitespace.end(in: bytes, from: index)
    }
}
