/// What an acl-file line grants or takes away. Read = subscribe, write = publish.
enum ACLAccess: String, Sendable, Hashable, CaseIterable {
    case read, write, readwrite, deny

    var grantsRead: Bool { self == .read || self == .readwrite }
    var grantsWrite: Bool { self == .write || self == .readwrite }
}

/// One `topic` or `pattern` line.
struct ACLRule: Sendable, Hashable {
    var access: ACLAccess
    /// A topic filter; for patterns, with `%u` / `%c` still in it.
    var filter: String
    /// `pattern` lines substitute `%u` (identity) and `%c` (client id) per connection.
    var isPattern: Bool
    /// Where it came from, for messages.
    var line: Int
}

/// A parsed acl-file: the rules for everyone (`topic` lines before any `user`, and every
/// `pattern` line) and the user blocks.
struct ACLFile: Sendable {
    var everyone: [ACLRule] = []
    /// Legal but probably unintended lines, for the start-up log ("file:line: ...").
    var warnings: [String] = []
    /// Keyed by the UTF-8 bytes of the name: names compare byte for byte, like identities.
    var users: [[UInt8]: [ACLRule]] = [:]

    func rules(for identity: String?) -> [ACLRule] {
        guard let identity, let own = users[Array(identity.utf8)] else { return everyone }
        return everyone + own
    }

    var ruleCount: Int { users.values.reduce(everyone.count) { $0 + $1.count } }
}
