/// Why bytes are not the JSON asked for, and where.
public struct JSONScanFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: Sendable, Hashable, CustomStringConvertible {
        /// Nothing but whitespace.
        case empty
        /// Valid JSON, but not an object.
        case notAnObject
        case unexpectedEnd
        case unexpectedCharacter
        case expectedMemberName
        case expectedColon
        case trailingData
        case invalidLiteral
        case invalidNumber
        /// Beyond a double's range: infinity to one reader, an error to another.
        case numberOutOfRange
        case unterminatedString
        case controlCharacter
        case invalidUTF8
        case invalidEscape
        case unpairedSurrogate
        /// Two members of one object mean the same name (readers disagree on which one wins).
        case duplicateMember
        case tooDeep(limit: Int)

        public var description: String {
            switch self {
            case .empty: "no value"
            case .notAnObject: "not an object"
            case .unexpectedEnd: "unexpected end of data"
            case .unexpectedCharacter: "unexpected character"
            case .expectedMemberName: "expected a member name"
            case .expectedColon: "expected ':'"
            case .trailingData: "unexpected data after the value"
            case .invalidLiteral: "invalid literal"
            case .invalidNumber: "invalid number"
            case .numberOutOfRange: "number out of range"
            case .unterminatedString: "unterminated string"
            case .controlCharacter: "control character in a string"
            case .invalidUTF8: "invalid UTF-8 in a string"
            case .invalidEscape: "invalid escape"
            case .unpairedSurrogate: "unpaired surrogate"
            case .duplicateMember: "duplicate member"
            case .tooDeep(let limit): "nested deeper than \(limit)"
            }
        }
    }

    public var reason: Reason
    /// The byte offset of the offending byte in the document.
    public var offset: Int
    /// The name a `duplicateMember` failure is about, decoded.
    public var memberName: String?

    public init(_ reason: Reason, at offset: Int, memberName: String? = nil) {
        self.reason = reason
        self.offset = offset
        self.memberName = memberName
    }

    public var description: String {
        guard let memberName else { return "\(reason) at byte \(offset)" }
        return "\(reason) \"\(memberName)\" at byte \(offset)"
    }
}
