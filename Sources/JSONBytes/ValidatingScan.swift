/// An object or array being scanned; for an object, where its names start in the name buffer.
struct OpenContainer {
    var isObject: Bool
    /// 32 bits, like `NameSpan`: the depth stack stays 4 KiB at depth 512.
    var nameBase: UInt32
}

/// The scan of `JSONScanner`. `containers[d]` is the container open at depth `d`; the names of
/// an object seen so far are `names[containers[d].nameBase..<nameCount]`.
struct ValidatingScan {
    let bytes: UnsafeRawBufferPointer
    let containers: UnsafeMutableBufferPointer<OpenContainer>
    let names: UnsafeMutableBufferPointer<NameSpan>
    /// The name of the top-level member to report.
    let memberName: UnsafeRawBufferPointer?
    var nameCount = 0
    var index = 0
    var depth = 0
    var member: JSONValue?
    /// Where the reported member's value starts while it is an open container.
    var memberContainerStart: Int?
    /// Why and where the scan stopped, and the name of a duplicate. The steps only say whether
    /// they succeeded and record the reason here; plain values, so that the scan's state needs no
    /// clean-up (that, and small return values in registers, keep a small payload's scan fast).
    var stop: (reason: JSONScanFailure.Reason, offset: Int)?
    var duplicate: NameSpan?

    init(
        bytes: UnsafeRawBufferPointer, containers: UnsafeMutableBufferPointer<OpenContainer>, names: UnsafeMutableBufferPointer<NameSpan>,
        member: UnsafeRawBufferPointer?
    ) {
        self.bytes = bytes
        self.containers = containers
        self.names = names
        self.memberName = member
    }

    /// Records why the scan fails; returns nil, for the caller to return.
    mutating func fail<Value>(_ reason: JSONScanFailure.Reason, at offset: Int? = nil) -> Value? {
        stop = (reason, offset ?? index)
        return nil
    }

    mutating func run() -> Result<JSONScanner.ScannedObject, JSONScanFailure> {
        skipWhitespace()
        let start = index
        guard let end = scanDocument() else {
            // A step that fails has recorded why.
            let name = duplicate.map { String(decoding: JSONStringContent.unescaped(bytes, $0.range), as: UTF8.self) }
            return .failure(JSONScanFailure(stop!.reason, at: stop!.offset, memberName: name))
        }
        return .success(.init(object: JSONValue(kind: .object, range: start..<end), member: member))
    }

    /// One object and nothing after it; returns where the object ends.
    private mutating func scanDocument() -> Int? {
        guard index < bytes.count else { return fail(.empty) }
        let start = index
        guard scanValue() != nil else { return nil }
        let end = index
        skipWhitespace()
        guard index == bytes.count else { return fail(.trailingData) }
        guard bytes[start] == UInt8(ascii: "{") else { return fail(.notAnObject, at: start) }
        return end
    }

    /// Scans one complete value (containers included) starting at `index`; nil when it fails.
    private mutating func scanValue() -> Void? {
        // The value about to be scanned is that of the member to report.
        var pendingIsMember = false
        while true {
            // Expecting a value.
            skipWhitespace()
            guard index < bytes.count else { return fail(.unexpectedEnd) }
            let valueStart = index
            let kind: JSONValue.Kind
            switch bytes[index] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let object = bytes[index] == UInt8(ascii: "{")
                if pendingIsMember { memberContainerStart = valueStart }
                pendingIsMember = false
                guard depth < containers.count else { return fail(.tooDeep(limit: containers.count)) }
                containers[depth] = OpenContainer(isObject: object, nameBase: UInt32(nameCount))
                depth += 1
                index += 1
                skipWhitespace()
                guard index < bytes.count else { return fail(.unexpectedEnd) }
                if bytes[index] == (object ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    index += 1
                    closeContainer(object: object)
                    kind = object ? .object : .array
                    break  // an empty container is a complete value
                }
                if object {
                    guard let isMember = scanName() else { return nil }
                    pendingIsMember = isMember
                }
                continue  // the first member's or element's value
            case UInt8(ascii: "\""):
                guard scanString() != nil else { return nil }
                kind = .string
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard scanNumber() else { return fail(.invalidNumber) }
                guard NumberRange.isFinite(bytes, valueStart..<index) else { return fail(.numberOutOfRange, at: valueStart) }
                kind = .number
            case UInt8(ascii: "t"):
                guard scanLiteral("true") else { return fail(.invalidLiteral) }
                kind = .bool
            case UInt8(ascii: "f"):
                guard scanLiteral("false") else { return fail(.invalidLiteral) }
                kind = .bool
            case UInt8(ascii: "n"):
                guard scanLiteral("null") else { return fail(.invalidLiteral) }
                kind = .null
            default:
                return fail(.unexpectedCharacter)
            }
            if pendingIsMember { member = JSONValue(kind: kind, range: valueStart..<index) }
            pendingIsMember = false

            // A value is complete: close containers until one continues with `,`.
            while true {
                guard depth > 0 else { return () }
                skipWhitespace()
                guard index < bytes.count else { return fail(.unexpectedEnd) }
                let object = containers[depth - 1].isObject
                let byte = bytes[index]
                if byte == UInt8(ascii: ",") {
                    index += 1
                    if object {
                        skipWhitespace()
                        guard let isMember = scanName() else { return nil }
                        pendingIsMember = isMember
                    }
                    break  // the next value
                }
                guard byte == (object ? UInt8(ascii: "}") : UInt8(ascii: "]")) else { return fail(.unexpectedCharacter) }
                if object {
                    let members = UnsafeMutableBufferPointer(rebasing: names[Int(containers[depth - 1].nameBase)..<nameCount])
                    duplicate = DuplicateNames.first(in: members, of: bytes)
                    guard duplicate == nil else { return fail(.duplicateMember) }
                    nameCount = Int(containers[depth - 1].nameBase)
                }
                index += 1
                closeContainer(object: object)
            }
        }
    }

    /// Leaves the container just closed (`index` is past its last byte).
    private mutating func closeContainer(object: Bool) {
        depth -= 1
        if depth == 1, let start = memberContainerStart {
            member = JSONValue(kind: object ? .object : .array, range: start..<index)
            memberContainerStart = nil
        }
    }

    /// Scans `"name"` and the `:` after it; tells whether it names the member to report.
    private mutating func scanName() -> Bool? {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return fail(.expectedMemberName) }
        let start = index + 1
        guard let escaped = scanString() else { return nil }
        let name = start..<index - 1
        guard nameCount < names.count else { return fail(.unexpectedCharacter) }
        names[nameCount] = NameSpan(start: UInt32(name.lowerBound), end: UInt32(name.upperBound), escaped: escaped)
        nameCount += 1
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return fail(.expectedColon) }
        index += 1
        guard depth == 1, let memberName else { return false }
        return JSONStringContent.equals(bytes, name, escaped: escaped, memberName)
    }
}
