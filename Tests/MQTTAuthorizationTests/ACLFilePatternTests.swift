import Testing

@testable import MQTTAuthorization

@Suite("acl-file mode: patterns")
struct ACLFilePatternTests {
    private func authorizer(_ text: String) throws -> ACLFileAuthorizer {
        try ACLFileAuthorizer(contents: text, path: "test.acl")
    }

    @Test func identitySubstitution() throws {
        let acl = try authorizer("pattern readwrite users/%u/#")
        let alice = acl.probe(tlsClient("alice"))
        #expect(alice.publishes("users/alice/x"))
        #expect(alice.subscribes("users/alice/#"))
        #expect(!alice.publishes("users/bob/x"))
        #expect(!alice.subscribes("users/bob/x"))
        // Partly hers: granted, and only her topics are delivered.
        #expect(alice.subscribes("users/+/x"))
    }

    @Test func clientIDSubstitution() throws {
        let acl = try authorizer("pattern write devices/%c/out")
        let policy = acl.probe(tlsClient("alice", clientID: "sensor-7"))
        #expect(policy.publishes("devices/sensor-7/out"))
        #expect(!policy.publishes("devices/sensor-8/out"))
    }

    @Test func bothSubstitutionsInOneFilter() throws {
        let policy = try authorizer("pattern %u/%c").probe(tlsClient("t:d", clientID: "c1"))
        #expect(policy.publishes("t:d/c1"))
    }

    @Test func identityPatternNeverMatchesWithoutIdentity() throws {
        let acl = try authorizer("pattern readwrite users/%u/#\npattern read all/%c")
        let anonymous = acl.probe(plainClient(nil, clientID: "c"))
        #expect(!anonymous.publishes("users//x"))
        #expect(!anonymous.publishes("users/%u/x"))
        #expect(!anonymous.subscribes("users/+/#"))
        #expect(anonymous.subscribes("all/c"))
    }

    @Test func valuesWithTopicCharactersNeverMatch() throws {
        // Client id "+" must not turn devices/%c/out into devices/+/out.
        let acl = try authorizer("pattern readwrite devices/%c/out\npattern readwrite u/%u")
        let plus = acl.probe(tlsClient("x", clientID: "+"))
        #expect(!plus.subscribes("devices/+/out"))
        let hash = acl.probe(tlsClient("#", clientID: "a/b"))
        #expect(!hash.subscribes("u/#"))
        #expect(!hash.publishes("devices/a/b/out"))
        let empty = acl.probe(tlsClient("x", clientID: ""))
        #expect(!empty.publishes("devices//out"))
    }

    @Test func patternInsideAUserBlockAppliesToEveryClientWithAWarning() throws {
        // mosquitto's rule: patterns are per client through %u / %c, not through user blocks.
        let acl = try authorizer("user alice\npattern write out/%c\ntopic write alice-only\n")
        let bob = acl.probe(tlsClient("bob", clientID: "c"))
        #expect(bob.publishes("out/c"))
        #expect(!bob.publishes("alice-only"))
        #expect(acl.warnings.count == 1)
        #expect(acl.warnings.first?.hasPrefix("test.acl:2: ") == true)
    }

    @Test func unsafeValueCannotEscapeAPatternDeny() throws {
        // Client id "a/b" would make "devices/%c/#" deny only devices/a/b/#; deny everything instead.
        let acl = try authorizer("topic readwrite devices/#\npattern deny devices/%c/admin\n")
        let sneaky = acl.probe(tlsClient("x", clientID: "+"))
        #expect(sneaky.publishDecision(topic: "devices/other/admin") == .denied(.aclUnsafePatternValue))
        #expect(!sneaky.subscribes("devices/other/data"))
        let honest = acl.probe(tlsClient("x", clientID: "me"))
        #expect(!honest.publishes("devices/me/admin"))
        #expect(honest.publishes("devices/other/admin"))
    }

    @Test func missingValueSkipsAPatternDeny() throws {
        let acl = try authorizer("topic readwrite users/#\npattern deny users/%u/private\n")
        let anonymous = acl.probe(plainClient(nil))
        #expect(anonymous.publishes("users/alice/data"))
    }

    @Test func topicLinesDoNotSubstitute() throws {
        let policy = try authorizer("topic write users/%u").probe(tlsClient("alice"))
        #expect(!policy.publishes("users/alice"))
        #expect(policy.publishes("users/%u"))
    }

    @Test func patternDenyWins() throws {
        let acl = try authorizer("topic readwrite users/#\npattern deny users/%u/private\n")
        let alice = acl.probe(tlsClient("alice"))
        #expect(!alice.publishes("users/alice/private"))
        #expect(alice.publishes("users/bob/private"))
    }
}
