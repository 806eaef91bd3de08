#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `BROKER_AUTHZ=acl-file`: topic rights from a mosquitto-style file (`BROKER_ACL_FILE`), read
/// once at start-up. Every CONNECT is allowed; the file decides topics only.
public struct ACLFileAuthorizer: Authorizer {
    public let path: String
    let file: ACLFile

    /// Reads and parses the file; the error names the file and the line.
    public init(path: String) throws(ACLFileError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ACLFileError(path: path, line: nil, message: "cannot read the ACL file (\(error))")
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw ACLFileError(path: path, line: nil, message: "the ACL file is not valid UTF-8")
        }
        try self.init(contents: text, path: path)
    }

    /// Parses `contents` as if read from `path` (which only names it in errors).
    public init(contents: String, path: String = "<acl>") throws(ACLFileError) {
        self.path = path
        self.file = try ACLFileParser.parse(contents, path: path)
    }

    /// How many `topic` and `pattern` lines the file holds (for the start-up log).
    public var ruleCount: Int { file.ruleCount }

    /// Legal but probably unintended lines ("file:line: ..."), for the start-up log.
    public var warnings: [String] { file.warnings }

    public func authorizeConnect(_ client: ClientIdentity) -> ConnectVerdict { .allowed }

    public func connectionPolicy(for client: ClientIdentity) -> any ConnectionPolicy {
        ACLConnectionPolicy(rules: file.rules(for: client.identity), identity: client.identity, clientID: client.clientID)
    }
}
