import Testing

@testable import MQTTAuthorization

@Suite("filter coverage and overlap")
struct FilterRelationsTests {
    @Test(arguments: [
        ("a/#", "a/+", true), ("a/+", "a/+", true), ("a/b", "a/+", false),
        ("a/#", "a/#", true), ("a/+", "a/#", false), ("#", "a/#", true), ("#", "#", true),
        ("a/#", "a", true), ("a/+/#", "a/b", true), ("a/+/#", "a", false), ("a/+/#", "a/#", false),
        ("+/+", "a/b", true), ("+/+", "+/+", true), ("+/+", "a/#", false), ("+", "a/b", false),
        ("a/b", "a/b", true), ("a/b", "a/b/c", false), ("a/b/c", "a/b", false),
        ("#", "$SYS/x", false), ("+/x", "$SYS/x", false), ("$SYS/#", "$SYS/x", true),
        ("a//b", "a/+/b", false), ("a/+/b", "a//b", true),
    ])
    func covers(grant: String, subscription: String, expected: Bool) {
        #expect(FilterRelations.covers(grant: grant, subscription: subscription) == expected)
    }

    @Test(arguments: [
        ("a/#", "a", true), ("a", "a/#", true), ("a/b", "a/+", true), ("a/b", "a/c", false),
        ("+/b", "a/+", true), ("a/b/c", "a/+", false), ("#", "x/y/z", true),
        ("#", "$SYS/x", false), ("$SYS/x", "+/x", false), ("$SYS/#", "$SYS/x", true), ("+", "+", true),
        ("a/+/c", "a/b/#", true), ("a/b", "a/b/c", false),
    ])
    func overlap(lhs: String, rhs: String, expected: Bool) {
        #expect(FilterRelations.overlap(lhs, rhs) == expected)
        #expect(FilterRelations.overlap(rhs, lhs) == expected)
    }
}
