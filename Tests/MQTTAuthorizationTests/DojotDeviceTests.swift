import Testing

@testable import MQTTAuthorization

@Suite("dojot mode: devices")
struct DojotDeviceTests {
    let authorizer = DojotAuthorizer()

    @Test func devicePublishesToItsOwnAttrs() {
        let policy = authorizer.policy(tlsClient("admin:a1998e"))
        #expect(policy.publishes("admin:a1998e/attrs"))
    }

    @Test func devicePublishesOnThePlainListenerToo() {
        let policy = authorizer.policy(plainClient("admin:a1998e"))
        #expect(policy.publishes("admin:a1998e/attrs"))
    }

    @Test func deviceCannotPublishToAnotherDevice() {
        let policy = authorizer.policy(tlsClient("admin:a1998e"))
        #expect(!policy.publishes("admin:b2/attrs"))
        #expect(!policy.publishes("other:a1998e/attrs"))
        #expect(policy.publishDecision(topic: "admin:b2/attrs") == .denied(.deviceMayPublishOnlyToOwnAttrs))
    }

    @Test func deviceCannotPublishBelowItsAttrs() {
        let policy = authorizer.policy(tlsClient("admin:a1998e"))
        #expect(!policy.publishes("admin:a1998e/attrs/x"))
        #expect(!policy.publishes("admin:a1998e/attrs/"))
    }

    @Test func deviceCannotPublishToItsConfigOrOtherTopics() {
        let policy = authorizer.policy(tlsClient("admin:a1998e"))
        #expect(!policy.publishes("admin:a1998e/config"))
        #expect(!policy.publishes("admin:a1998e"))
        #expect(!policy.publishes("attrs"))
        #expect(!policy.publishes("/admin:a1998e/attrs"))
    }

    @Test func deviceCannotPublishWithWildcardsOrShare() {
        let policy = authorizer.policy(tlsClient("admin:a1998e"))
        #expect(!policy.publishes("+/attrs"))
        #expect(!policy.publishes("admin:a1998e/+"))
        #expect(!policy.publishes("#"))
        #expect(!policy.publishes("$share/g/admin:a1998e/attrs"))
    }

    @Test func deviceTopicIsComparedByteForByte() {
        // "é" as one scalar vs "e" + combining accent: equal as Swift Strings, distinct MQTT topics.
        let policy = authorizer.policy(tlsClient("admin:caf\u{E9}"))
        #expect(policy.publishes("admin:caf\u{E9}/attrs"))
        #expect(!policy.publishes("admin:cafe\u{301}/attrs"))
    }

    @Test func deviceSubscribesToItsOwnConfig() {
        let policy = authorizer.policy(tlsClient("admin:a1998e"))
        #expect(policy.subscribes("admin:a1998e/config"))
    }

    @Test func deviceCannotSubscribeToAnotherDevicesConfig() {
        let policy = authorizer.policy(tlsClient("admin:a1998e"))
        #expect(!policy.subscribes("admin:b2/config"))
        #expect(policy.subscribeDecision(filter: "admin:b2/config") == .denied(.deviceMaySubscribeOnlyToOwnConfig))
    }

    @Test func deviceCannotSubscribeWithWildcardsBelowOrShare() {
        let policy = authorizer.policy(tlsClient("admin:a1998e"))
        #expect(!policy.subscribes("admin:a1998e/config/#"))
        #expect(!policy.subscribes("admin:a1998e/config/x"))
        #expect(!policy.subscribes("admin:a1998e/+"))
        #expect(!policy.subscribes("admin:a1998e/#"))
        #expect(!policy.subscribes("+/config"))
        #expect(!policy.subscribes("#"))
        #expect(!policy.subscribes("$share/g/admin:a1998e/config"))
    }

    @Test func deviceCannotSubscribeToItsAttrs() {
        let policy = authorizer.policy(tlsClient("admin:a1998e"))
        #expect(!policy.subscribes("admin:a1998e/attrs"))
    }

    @Test func deviceIdentityContainingAMarkIsJustADevice() {
        // A tenant user can get a certificate "admin:v2k-bridge"; it must not read other devices.
        let client = tlsClient("admin:v2k-bridge")
        #expect(authorizer.authorizeConnect(client) == .allowed)
        let policy = authorizer.probe(client)
        #expect(!policy.subscribes("+/attrs"))
        #expect(!policy.subscribes("$share/group/+/attrs"))
        #expect(policy.publishes("admin:v2k-bridge/attrs"))
        let k2v = authorizer.policy(tlsClient("admin:k2v-bridge"))
        #expect(!k2v.publishes("admin:x/config"))
    }
}
