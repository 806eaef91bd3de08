import Testing

@testable import MQTTAuthorization

@Suite("dojot mode: CONNECT")
struct DojotConnectTests {
    let authorizer = DojotAuthorizer()

    private func isRefused(_ client: ClientIdentity) -> Bool {
        if case .refused(let reason) = authorizer.authorizeConnect(client) { return !reason.isEmpty }
        return false
    }

    @Test func devicesConnectOnBothListeners() {
        #expect(authorizer.authorizeConnect(tlsClient("admin:a1998e")) == .allowed)
        #expect(authorizer.authorizeConnect(plainClient("admin:a1998e")) == .allowed)
    }

    @Test func servicesConnectWithAVerifiedCertificate() {
        #expect(authorizer.authorizeConnect(tlsClient("v2k-bridge")) == .allowed)
        #expect(authorizer.authorizeConnect(tlsClient("k2v-bridge")) == .allowed)
    }

    @Test func v2kServiceIsRefusedOnThePlainListener() {
        #expect(isRefused(plainClient("v2k-bridge")))
    }

    @Test func k2vServiceIsRefusedOnThePlainListener() {
        #expect(isRefused(plainClient("k2v-bridge")))
    }

    @Test func plainListenerServiceGetsNoRightsEvenIfAskedForAPolicy() {
        let policy = authorizer.probe(plainClient("v2k-bridge"))
        #expect(!policy.subscribes("+/attrs"))
        #expect(policy.subscribeDecision(filter: "+/attrs") == .denied(.identityNotAuthorized))
        let k2v = authorizer.probe(plainClient("k2v-bridge"))
        #expect(!k2v.publishes("x:y/config"))
    }

    @Test func missingIdentityIsRefused() {
        #expect(isRefused(plainClient(nil)))
        #expect(isRefused(tlsClient(nil)))
        #expect(isRefused(plainClient("")))
    }

    @Test func identityWithoutColonOrMarkIsRefused() {
        #expect(isRefused(tlsClient("some-host")))
        #expect(isRefused(plainClient("admin")))
    }

    @Test func identityWithSeveralColonsIsRefused() {
        #expect(isRefused(tlsClient("a:b:c")))
        // Even with a mark: a tenant user's CSR for CN ":v2k-bridge" is issued as "admin::v2k-bridge".
        #expect(isRefused(tlsClient("admin::v2k-bridge")))
    }

    @Test func deviceIdentityWithAnEmptyPartIsRefused() {
        #expect(isRefused(tlsClient(":device")))
        #expect(isRefused(tlsClient("tenant:")))
        #expect(isRefused(tlsClient(":")))
    }

    @Test func identityWithTopicCharactersIsRefused() {
        #expect(isRefused(tlsClient("admin:x/+")))
        #expect(isRefused(tlsClient("admin:a/b")))
        #expect(isRefused(tlsClient("admin:#")))
        #expect(isRefused(tlsClient("v2k-bridge/x")))
    }

    @Test func identityWithBothMarksIsRefused() {
        #expect(isRefused(tlsClient("v2k-bridge-k2v-bridge")))
    }

    @Test func refusalReasonExplains() {
        guard case .refused(let reason) = authorizer.authorizeConnect(plainClient("v2k-bridge")) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(reason.contains("verified client certificate"))
    }

    @Test func deviceShape() {
        #expect(tlsClient("admin:a1998e").isDeviceIdentity)
        #expect(!tlsClient("v2k-bridge").isDeviceIdentity)
        #expect(!tlsClient("a:b:c").isDeviceIdentity)
        #expect(!tlsClient(":b").isDeviceIdentity)
        #expect(!tlsClient(nil).isDeviceIdentity)
    }
}

@Suite("dojot mode: refusal reasons")
struct DojotRefusalReasonTests {
    @Test func clientChosenIdentityIsEscapedInTheReason() {
        let forged = "admin\nlevel=info msg=\"login ok\""
        guard case .refused(let reason) = DojotAuthorizer().authorizeConnect(plainClient(forged)) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(!reason.contains("\n"))
        #expect(reason.contains("\\n"))
    }
}
