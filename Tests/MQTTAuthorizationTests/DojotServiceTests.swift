import Testing

@testable import MQTTAuthorization

@Suite("dojot mode: services")
struct DojotServiceTests {
    let authorizer = DojotAuthorizer()

    @Test func v2kOnTLSSubscribesToSharedAttrs() {
        let policy = authorizer.policy(tlsClient("v2k-bridge"))
        #expect(policy.subscribes("$share/group/+/attrs"))
    }

    @Test func v2kOnTLSSubscribesToAllAttrs() {
        let policy = authorizer.policy(tlsClient("v2k-bridge"))
        #expect(policy.subscribes("+/attrs"))
    }

    @Test func v2kSubscribesToOneDevicesAttrs() {
        let policy = authorizer.policy(tlsClient("v2k-bridge"))
        #expect(policy.subscribes("admin:a1998e/attrs"))
        #expect(policy.subscribes("$share/g2/admin:a1998e/attrs"))
    }

    @Test func v2kMarkMayBeASubstring() {
        let policy = authorizer.policy(tlsClient("dojot-v2k-bridge-7c9f"))
        #expect(policy.subscribes("$share/group/+/attrs"))
    }

    @Test func v2kCannotSubscribeToEverything() {
        let policy = authorizer.policy(tlsClient("v2k-bridge"))
        #expect(!policy.subscribes("#"))
        #expect(!policy.subscribes("$share/group/#"))
        #expect(!policy.subscribes("+/#"))
        #expect(!policy.subscribes("+/+"))
        #expect(policy.subscribeDecision(filter: "#") == .denied(.v2kServiceFilterNotAllowed))
    }

    @Test func v2kCannotSubscribeToOtherShapesOfAttrs() {
        let policy = authorizer.policy(tlsClient("v2k-bridge"))
        #expect(!policy.subscribes("+/+/attrs"))
        #expect(!policy.subscribes("+/attrs/#"))
        #expect(!policy.subscribes("attrs"))
        #expect(!policy.subscribes("notadevice/attrs"))
        #expect(!policy.subscribes("a:b:c/attrs"))
        #expect(!policy.subscribes("+/config"))
    }

    @Test func v2kInvalidFiltersAreDenied() {
        let policy = authorizer.policy(tlsClient("v2k-bridge"))
        #expect(policy.subscribeDecision(filter: "$share//+/attrs") == .denied(.invalidTopic))
        #expect(policy.subscribeDecision(filter: "+x/attrs") == .denied(.invalidTopic))
        #expect(policy.subscribeDecision(filter: "") == .denied(.invalidTopic))
    }

    @Test func v2kCannotPublish() {
        let policy = authorizer.policy(tlsClient("v2k-bridge"))
        #expect(!policy.publishes("admin:a1998e/attrs"))
        #expect(!policy.publishes("admin:a1998e/config"))
        #expect(policy.publishDecision(topic: "x") == .denied(.v2kServiceMayNotPublish))
    }

    @Test func k2vPublishesToAnyDevicesConfig() {
        let policy = authorizer.policy(tlsClient("k2v-bridge"))
        #expect(policy.publishes("x:y/config"))
        #expect(policy.publishes("admin:a1998e/config"))
    }

    @Test func k2vCannotPublishToAttrsOrOtherShapes() {
        let policy = authorizer.policy(tlsClient("k2v-bridge"))
        #expect(!policy.publishes("x:y/attrs"))
        #expect(!policy.publishes("config"))
        #expect(!policy.publishes("/config"))
        #expect(!policy.publishes("a/b/config"))
        #expect(!policy.publishes("x:y/config/more"))
        #expect(!policy.publishes("x:y/configx"))
        #expect(policy.publishDecision(topic: "x:y/attrs") == .denied(.k2vServiceTopicNotAllowed))
        #expect(policy.publishDecision(topic: "+/config") == .denied(.invalidTopic))
    }

    @Test func k2vCannotSubscribe() {
        let policy = authorizer.policy(tlsClient("k2v-bridge"))
        #expect(!policy.subscribes("x:y/config"))
        #expect(!policy.subscribes("+/config"))
        #expect(policy.subscribeDecision(filter: "#") == .denied(.k2vServiceMayNotSubscribe))
    }

    @Test func customMarksAreHonoured() {
        let custom = DojotAuthorizer(v2kMark: "reader", k2vMark: "writer")
        let reader = custom.policy(tlsClient("data-reader-1"))
        #expect(reader.subscribes("+/attrs"))
        let writer = custom.policy(tlsClient("config-writer"))
        #expect(writer.publishes("t:d/config"))
        #expect(!custom.authorizeConnect(tlsClient("v2k-bridge")).isAllowed)
    }
}
