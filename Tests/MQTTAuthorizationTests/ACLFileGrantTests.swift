import Testing

@testable import MQTTAuthorization

@Suite("acl-file mode: grants and denials")
struct ACLFileGrantTests {
    private func authorizer(_ text: String) throws -> ACLFileAuthorizer {
        try ACLFileAuthorizer(contents: text, path: "test.acl")
    }

    @Test func everyConnectIsAllowed() throws {
        let acl = try authorizer("")
        #expect(acl.authorizeConnect(plainClient(nil)) == .allowed)
        #expect(acl.authorizeConnect(tlsClient("anyone")) == .allowed)
    }

    @Test func noGrantMeansDenied() throws {
        let policy = try authorizer("user alice\ntopic alice/#\n").probe(tlsClient("bob"))
        #expect(!policy.publishes("alice/x"))
        #expect(policy.publishDecision(topic: "bob/x") == .denied(.aclNoGrant))
        #expect(policy.subscribeDecision(filter: "alice/#") == .denied(.aclNoGrant))
    }

    @Test func userBlockGrantsOnlyThatUser() throws {
        let acl = try authorizer(
            """
            user alice
            topic readwrite alice/#
            user bob
            topic bob/#
            """)
        let alice = acl.probe(tlsClient("alice"))
        #expect(alice.publishes("alice/data"))
        #expect(alice.subscribes("alice/#"))
        #expect(!alice.publishes("bob/data"))
        let bob = acl.probe(tlsClient("bob"))
        #expect(bob.publishes("bob/data"))
        #expect(bob.subscribes("bob/+"))
        #expect(!bob.subscribes("alice/#"))
    }

    @Test func repeatedUserBlocksAccumulate() throws {
        let acl = try authorizer("user alice\ntopic a\nuser bob\ntopic b\nuser alice\ntopic c\n")
        let alice = acl.probe(tlsClient("alice"))
        #expect(alice.publishes("a"))
        #expect(alice.publishes("c"))
        #expect(!alice.publishes("b"))
    }

    @Test func userNamesCompareByteForByte() throws {
        let acl = try authorizer("user caf\u{E9}\ntopic secret\n")
        let lookalike = acl.probe(tlsClient("cafe\u{301}"))
        #expect(!lookalike.publishes("secret"))
        let owner = acl.probe(tlsClient("caf\u{E9}"))
        #expect(owner.publishes("secret"))
    }

    @Test func globalLinesApplyToEveryone() throws {
        let acl = try authorizer(
            """
            topic read public/#
            user alice
            topic write alice/out
            """)
        let alice = acl.probe(tlsClient("alice"))
        #expect(alice.subscribes("public/news"))
        #expect(alice.publishes("alice/out"))
        let stranger = acl.probe(tlsClient("stranger"))
        #expect(stranger.subscribes("public/#"))
        let anonymous = acl.probe(plainClient(nil))
        #expect(anonymous.subscribes("public/x"))
        #expect(!anonymous.publishes("alice/out"))
    }

    @Test func readIsSubscribeAndWriteIsPublish() throws {
        let acl = try authorizer("topic read r/#\ntopic write w/#\ntopic rw/#\n")
        let policy = acl.probe(tlsClient("u"))
        #expect(policy.subscribes("r/x"))
        #expect(!policy.publishes("r/x"))
        #expect(policy.publishes("w/x"))
        #expect(!policy.subscribes("w/x"))
        #expect(policy.publishes("rw/x"))
        #expect(policy.subscribes("rw/x"))
    }

    @Test func explicitReadwriteGrantsBoth() throws {
        let policy = try authorizer("topic readwrite both").probe(tlsClient("u"))
        #expect(policy.publishes("both"))
        #expect(policy.subscribes("both"))
    }

    @Test func denyWinsOverGrants() throws {
        let acl = try authorizer(
            """
            topic readwrite a/#
            user alice
            topic deny a/secret
            topic readwrite a/secret
            """)
        let alice = acl.probe(tlsClient("alice"))
        #expect(alice.publishDecision(topic: "a/secret") == .denied(.aclDenyRule))
        #expect(!alice.subscribes("a/secret"))
        #expect(alice.publishes("a/public"))
        #expect(alice.subscribes("a/public"))
        let bob = acl.probe(tlsClient("bob"))
        #expect(bob.publishes("a/secret"))
    }

    @Test func denyFiltersDeliveriesOfOverlappingSubscriptionsAndRefusesThoseInsideIt() throws {
        // As mosquitto's dynamic security, EMQX and VerneMQ: a/# is granted, and a/secret is not delivered.
        let acl = try authorizer("topic read a/#\ntopic deny a/secret\ntopic deny a/hidden/#\n")
        let policy = acl.probe(tlsClient("u"))
        #expect(policy.subscribeDecision(filter: "a/#") == .allowed)
        let filter = try #require(acl.readFilter(tlsClient("u"), "a/#"))
        #expect(!filter.allows(topic: "a/secret"))
        #expect(!filter.allows(topic: "a/hidden/x"))
        #expect(filter.allows(topic: "a/public"))
        #expect(policy.subscribes("a/+"))
        #expect(policy.subscribes("+/secret"))
        // Wholly inside a deny: refused (0x80).
        #expect(policy.subscribeDecision(filter: "a/secret") == .denied(.aclDenyRule))
        #expect(policy.subscribeDecision(filter: "a/hidden/+") == .denied(.aclDenyRule))
        // Wholly readable: no check per delivery.
        #expect(policy.subscribes("a/public"))
        #expect(acl.readFilter(tlsClient("u"), "a/public") == nil)
        #expect(policy.subscribes("a/+/deeper"))
    }

    @Test func globalDenyAppliesToUsers() throws {
        let policy = try authorizer("topic deny $SYS/#\nuser u\ntopic #\n").probe(tlsClient("u"))
        #expect(!policy.subscribes("$SYS/broker/load"))
        // "#" never matches "$SYS/..." topics, so it does not overlap the deny.
        #expect(policy.subscribes("#"))
        #expect(policy.publishes("x/y"))
    }

    @Test func subscribeWildcardCoverage() throws {
        let hashGrant = try authorizer("topic read a/#").probe(tlsClient("u"))
        #expect(hashGrant.subscribes("a/+"))
        #expect(hashGrant.subscribes("a/#"))
        #expect(hashGrant.subscribes("a/b/c"))
        #expect(hashGrant.subscribes("a"))
        // Partly readable: granted, and only the readable topics are delivered.
        #expect(hashGrant.subscribes("#"))
        #expect(hashGrant.subscribes("+/b"))
        #expect(!hashGrant.subscribes("b/#"))

        let plusGrant = try authorizer("topic read a/+").probe(tlsClient("u"))
        #expect(plusGrant.subscribes("a/+"))
        #expect(plusGrant.subscribes("a/b"))
        #expect(plusGrant.subscribes("a/#"))
        #expect(!plusGrant.subscribes("a/b/c"))
        #expect(!plusGrant.subscribes("a"))

        let literalGrant = try authorizer("topic read a/b").probe(tlsClient("u"))
        #expect(literalGrant.subscribes("a/b"))
        #expect(literalGrant.subscribes("a/+"))
        #expect(literalGrant.subscribes("a/#"))
        #expect(!literalGrant.subscribes("a/c"))
        #expect(!literalGrant.subscribes("b/+"))
    }

    @Test func sharedSubscriptionIsCheckedByItsInnerFilter() throws {
        let policy = try authorizer("topic read +/attrs").probe(tlsClient("u"))
        #expect(policy.subscribes("$share/group/+/attrs"))
        #expect(policy.subscribes("$share/group/x/attrs"))
        #expect(policy.subscribes("$share/group/#"))
        #expect(!policy.subscribes("$share/group/x/config"))
        #expect(policy.subscribeDecision(filter: "$share/group") == .denied(.invalidTopic))
    }

    @Test func publishWithWildcardIsInvalid() throws {
        let policy = try authorizer("topic #").probe(tlsClient("u"))
        #expect(policy.publishDecision(topic: "a/+") == .denied(.invalidTopic))
        #expect(policy.publishDecision(topic: "") == .denied(.invalidTopic))
        #expect(policy.publishes("a/b"))
    }

    @Test func repeatedPublishesGiveTheSameAnswerFromTheCache() throws {
        let policy = try authorizer("topic write ok/#").probe(tlsClient("u"))
        for round in 0..<3 {
            for index in 0..<40 {
                #expect(policy.publishes("ok/\(index)"), "round \(round)")
                #expect(!policy.publishes("no/\(index)"), "round \(round)")
            }
        }
    }

    @Test func theCacheComparesTopicsByteForByte() throws {
        let policy = try authorizer("topic write caf\u{E9}").probe(tlsClient("u"))
        #expect(policy.publishes("caf\u{E9}"))
        #expect(!policy.publishes("cafe\u{301}"))
    }
}
