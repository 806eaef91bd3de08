import MQTTCore

/// Parses mosquitto-style acl-file text:
///
///     # comment
///     topic read public/#            (before any `user`: applies to everyone)
///     user alice
///     topic readwrite alice/#        (no access word = readwrite)
///     topic deny alice/secret
///     pattern write devices/%c/out   (%u = identity, %c = client id; every client, wherever written)
///
/// Like mosquitto, the filter is the rest of the line (it may contain spaces) and `#` starts a
/// comment only at the beginning of a line (it is also the multi-level wildcard).
enum ACLFileParser {
    static func parse(_ text: String, path: String) throws(ACLFileError) -> ACLFile {
        var file = ACLFile()
        var currentUser: [UInt8]?
        let lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        for (index, rawLine) in lines.enumerated() {
            let lineNumber = index + 1
            func fail(_ message: String) -> ACLFileError {
                ACLFileError(path: path, line: lineNumber, message: message)
            }
            let line = trimmed(Substring(rawLine))
            if line.isEmpty || line.utf8.first == UInt8(ascii: "#") { continue }
            let (keyword, rest) = firstWord(line)
            switch keyword {
            case "user":
                guard !rest.isEmpty else { throw fail("'user' needs a name") }
                currentUser = Array(rest.utf8)
            case "topic", "pattern":
                let rule = try parseRule(rest, isPattern: keyword == "pattern", line: lineNumber, fail: fail)
                if let currentUser, !rule.isPattern {
                    file.users[currentUser, default: []].append(rule)
                } else {
                    // As in mosquitto, a pattern applies to every client wherever it is written
                    // (%u and %c already make it per client); say so when it sits in a user block.
                    if let currentUser, rule.isPattern {
                        let user = String(decoding: currentUser, as: UTF8.self)
                        file.warnings.append("\(path):\(lineNumber): this pattern is in the block of user '\(user)' but applies to every client, as in mosquitto")
                    }
                    file.everyone.append(rule)
                }
            default:
                throw fail("unknown keyword '\(keyword)' (expected 'user', 'topic' or 'pattern')")
            }
        }
        return file
    }

    private static func parseRule(
        _ text: Substring, isPattern: Bool, line: Int, fail: (String) -> ACLFileError
    ) throws(ACLFileError) -> ACLRule {
        let keyword = isPattern ? "pattern" : "topic"
        guard !text.isEmpty else { throw fail("'\(keyword)' needs a topic filter") }
        var access = ACLAccess.readwrite
        var filter = text
        let (word, afterWord) = firstWord(text)
        if let named = ACLAccess(rawValue: String(word)) {
            guard !afterWord.isEmpty else {
                throw fail("'\(keyword) \(word)' needs a topic filter after the access word")
            }
            access = named
            filter = afterWord
        }
        let filterString = String(filter)
        if filterString.hasPrefix(SharedFilter.prefix) {
            throw fail("'\(filterString)': rules name topics, not '$share/' subscriptions (a shared subscription is checked by its inner filter)")
        }
        do {
            try Topic.validateFilter(filterString)
        } catch {
            throw fail("invalid topic filter '\(filterString)' (\(error))")
        }
        return ACLRule(access: access, filter: filterString, isPattern: isPattern, line: line)
    }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }

    private static func trimmed(_ text: Substring) -> Substring {
        let utf8 = text.utf8
        guard let start = utf8.firstIndex(where: { !isBlank($0) }),
            let last = utf8.lastIndex(where: { !isBlank($0) })
        else { return "" }
        return Substring(utf8[start...last])
    }

    /// The first blank-separated word and the trimmed rest.
    private static func firstWord(_ text: Substring) -> (Substring, Substring) {
        let utf8 = text.utf8
        guard let blank = utf8.firstIndex(where: isBlank) else { return (text, "") }
        return (Substring(utf8[..<blank]), trimmed(Substring(utf8[blank...])))
    }
}
