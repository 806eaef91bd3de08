import Foundation
import Testing

@testable import MQTTAuthorization

@Suite("authorizer factory")
struct AuthorizerFactoryTests {
    @Test func modeNamesMatchTheConfiguration() {
        #expect(AuthorizationMode(rawValue: "none") == AuthorizationMode.none)
        #expect(AuthorizationMode(rawValue: "acl-file") == .aclFile)
        #expect(AuthorizationMode(rawValue: "dojot") == .dojot)
        #expect(AuthorizationMode(rawValue: "Dojot") == nil)
    }

    @Test func noneAllowsEverything() throws {
        let authorizer = try AuthorizerFactory.make(mode: .none, aclFilePath: nil)
        #expect(authorizer.authorizeConnect(plainClient(nil)) == .allowed)
        let policy = authorizer.probe(plainClient(nil))
        #expect(policy.publishes("any/topic"))
        #expect(policy.subscribes("#"))
        #expect(policy.subscribes("$share/g/#"))
    }

    @Test func dojotUsesTheMarks() throws {
        let authorizer = try AuthorizerFactory.make(mode: .dojot, aclFilePath: nil, v2kMark: "in", k2vMark: "out")
        #expect(authorizer is DojotAuthorizer)
        let reader = authorizer.policy(tlsClient("bridge-in-1"))
        #expect(reader.subscribes("+/attrs"))
    }

    @Test func badMarksNameTheVariable() {
        #expect(throws: AuthorizationConfigurationError.self) {
            try AuthorizerFactory.make(mode: .dojot, aclFilePath: nil, v2kMark: "", k2vMark: "k2v")
        }
        #expect(throws: AuthorizationConfigurationError.self) {
            try AuthorizerFactory.validateMarks(v2k: "bridge", k2v: "k2v-bridge")
        }
        #expect(throws: AuthorizationConfigurationError.self) {
            try AuthorizerFactory.validateMarks(v2k: "same", k2v: "same")
        }
        do {
            try AuthorizerFactory.validateMarks(v2k: "v2k", k2v: "a:b")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("PLUGIN_ACL_K2V_SERVICENAME"))
        }
    }

    @Test func aclFileModeNeedsAPath() {
        do {
            _ = try AuthorizerFactory.make(mode: .aclFile, aclFilePath: nil)
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("BROKER_ACL_FILE"))
        }
    }

    @Test func aclFileModeReadsTheFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("authz-\(UUID().uuidString).acl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "user alice\ntopic write alice/#\n".write(toFile: path, atomically: true, encoding: .utf8)
        let authorizer = try AuthorizerFactory.make(mode: .aclFile, aclFilePath: path)
        let policy = authorizer.probe(tlsClient("alice"))
        #expect(policy.publishes("alice/x"))
    }

    @Test func aclFileParseErrorStopsStartUpWithFileAndLine() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("authz-\(UUID().uuidString).acl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "topic a\nbogus line\n".write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try AuthorizerFactory.make(mode: .aclFile, aclFilePath: path)
            Issue.record("expected an error")
        } catch let error as ACLFileError {
            #expect(error.description.hasPrefix("\(path):2: "))
        }
    }
}
