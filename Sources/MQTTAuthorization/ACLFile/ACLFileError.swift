/// Why an acl-file cannot be used; start-up fails with `description` (file, line, problem).
public struct ACLFileError: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    /// 1-based; nil when the problem is the file as a whole (unreadable, not UTF-8).
    public var line: Int?
    public var message: String

    public init(path: String, line: Int?, message: String) {
        self.path = path
        self.line = line
        self.message = message
    }

    public var description: String {
        if let line { return "\(path):\(line): \(message)" }
        return "\(path): \(message)"
    }
}
