import MQTTCore
import Testing

@Suite struct TopicValidationTests {
    @Test(arguments: ["a", "a/b", "/", "//", "a//b", "$SYS/x", "tenant:dev/attrs", "ü/€"])
    func validTopicNames(_ name: String) {
        #expect(Topic.isValidName(name))
    }

    @Test(arguments: [("", TopicError.empty), ("a/+", .wildcardInTopicName), ("#", .wildcardInTopicName), ("a/b#", .wildcardInTopicName)])
    func invalidTopicNames(_ name: String, _ error: TopicError) {
        #expect(throws: error) { try Topic.validateName(name) }
    }

    @Test(arguments: ["#", "+", "a/#", "+/+", "/+", "+/", "a/+/b", "$SYS/#", "+/attrs", "a//#"])
    func validFilters(_ filter: String) {
        #expect(Topic.isValidFilter(filter))
    }

    @Test(arguments: ["", "a#", "#/a", "a/#/b", "a+", "+a", "a/b+/c", "##", "++"])
    func invalidFilters(_ filter: String) {
        #expect(!Topic.isValidFilter(filter))
    }

    @Test func sharedFilterSplitsGroupAndFilter() throws {
        #expect(try SharedFilter.parse("$share/group/+/attrs") == SharedFilter(group: "group", filter: "+/attrs"))
        #expect(try SharedFilter.parse("+/attrs") == nil)
        #expect(try SharedFilter.parse("$sharex/g/a") == nil)
    }

    @Test(arguments: ["$share/", "$share/g", "$share//a", "$share/g/", "$share/g+/a", "$share/g/a+"])
    func invalidSharedFilters(_ filter: String) {
        #expect(throws: TopicError.self) { try SharedFilter.parse(filter) }
    }

    @Test(arguments: [
        ("a/b", "a/b", true), ("a/+", "a/b", true), ("a/+", "a/b/c", false), ("a/#", "a", true),
        ("a/#", "a/b/c", true), ("#", "a/b", true), ("+/+", "/", true), ("+", "/", false),
        ("#", "$SYS/x", false), ("+/x", "$SYS/x", false), ("$SYS/#", "$SYS/x", true), ("a//b", "a//b", true),
        ("a/+/b", "a//b", true), ("+/attrs", "admin:1/attrs", true), ("e\u{301}", "\u{e9}", false),
    ])
    func linearMatcher(_ filter: String, _ topic: String, _ expected: Bool) {
        #expect(Topic.matches(filter: filter, topic: topic) == expected)
    }
}
