import JSONBytes

/// Why a payload is not a JSON object the bridge forwards; the metrics label and the log line
/// come from this.
public enum PayloadFailure: Error, Sendable, Hashable, CustomStringConvertible {
    case empty
    /// Valid JSON, but not an object.
    case notAnObject
    /// Not JSON (or not strict JSON): the first offending byte offset.
    case invalidJSON(offset: Int)
    case tooDeep

    /// Deeper nesting is refused (as JSON parsers do), which bounds the work per byte.
    public static let maximumDepth = 512

    init(_ failure: JSONScanFailure) {
        switch failure.reason {
        case .empty: self = .empty
        case .notAnObject: self = .notAnObject
        case .tooDeep: self = .tooDeep
        default: self = .invalidJSON(offset: failure.offset)
        }
    }

    public var description: String {
        switch self {
        case .empty: "empty payload"
        case .notAnObject: "the payload is JSON but not an object"
        case .invalidJSON(let offset): "invalid JSON at byte \(offset)"
        case .tooDeep: "JSON nested deeper than \(Self.maximumDepth)"
        }
    }
}
