import Testing

@testable import MQTTAuthorization

@Suite("acl-file mode: parsing")
struct ACLFileParserTests {
    private func parseError(_ text: String) -> ACLFileError? {
        do {
            _ = try ACLFileAuthorizer(contents: text, path: "/etc/broker/acl")
            return nil
        } catch {
            return error
        }
    }

    @Test func commentsAndBlankLinesAreIgnored() throws {
        let acl = try ACLFileAuthorizer(
            contents: """
                # a comment

                   # indented comment
                \t
                topic read a/#
                """)
        #expect(acl.ruleCount == 1)
        let policy = acl.probe(tlsClient("u"))
        #expect(policy.subscribes("a/b"))
    }

    @Test func windowsLineEndingsAndExtraBlanks() throws {
        let acl = try ACLFileAuthorizer(contents: "user  alice \r\ntopic\twrite   a/b \r\n")
        let policy = acl.probe(tlsClient("alice"))
        #expect(policy.publishes("a/b"))
    }

    @Test func filterIsTheRestOfTheLine() throws {
        let policy = try ACLFileAuthorizer(contents: "topic write room 1/temp").probe(tlsClient("u"))
        #expect(policy.publishes("room 1/temp"))
    }

    @Test func accessWordAloneIsAFilterOnlyWithoutAFollowingFilter() throws {
        // mosquitto: "topic read" is an error, not readwrite on topic "read".
        #expect(parseError("topic read")?.line == 1)
    }

    @Test func unknownKeywordNamesFileAndLine() {
        let error = parseError("# ok\ntopic a\nallow a/b\n")
        #expect(error?.line == 3)
        #expect(error?.description.hasPrefix("/etc/broker/acl:3: ") == true)
        #expect(error?.description.contains("allow") == true)
    }

    @Test func invalidFilterNamesTheLine() {
        #expect(parseError("\n\ntopic read a/#/b")?.line == 3)
        #expect(parseError("pattern write a+/b")?.line == 1)
    }

    @Test func missingFilterOrNameIsAnError() {
        #expect(parseError("topic")?.line == 1)
        #expect(parseError("x\n")?.line == 1)
        #expect(parseError("topic a\npattern\n")?.line == 2)
        #expect(parseError("user\n")?.line == 1)
        #expect(parseError("topic deny ")?.line == 1)
    }

    @Test func sharedFiltersAreNotRules() {
        #expect(parseError("topic read $share/g/a")?.line == 1)
    }

    @Test func keywordsAreCaseSensitive() {
        #expect(parseError("Topic read a")?.line == 1)
    }

    @Test func missingFileIsAnError() {
        do {
            _ = try ACLFileAuthorizer(path: "/nonexistent/acl-file")
            Issue.record("expected an error")
        } catch {
            #expect(error.line == nil)
            #expect(error.description.hasPrefix("/nonexistent/acl-file: "))
        }
    }
}
