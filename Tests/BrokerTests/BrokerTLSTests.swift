import BrokerTestSupport
import Foundation
import Logging
import MQTTAuthorization
import MQTTCore
import NIOCore
import NIOPosix
import TestSupport
import Testing
import X509

/// The mutual-TLS listener with certificates made at test time, against mosquitto's clients
/// (and `openssl s_client`): identity from the CN, refusals at the handshake, hot reload, live
/// revocation.
@Suite struct BrokerTLSTests {
    func withTLSBroker<T>(_ pki: TestPKI, authorizer: any Authorizer = DojotAuthorizer(), _ body: (TestBroker) async throws -> T) async throws -> T {
        try await withTestBroker(
            configure: { configuration in
                let files = pki.files
                configuration.mqttsPort = 0
                configuration.tls = .init(ca: files.ca, certificate: files.certificate, key: files.key, crl: files.crl)
                configuration.tlsReloadIntervalMilliseconds = 100
            }, authorizer: authorizer, body)
    }

    func publish(_ pki: TestPKI, _ broker: TestBroker, as file: String?, topic: String, message: String, extra: [String] = []) async throws -> MosquittoClients.Result {
        try await MosquittoClients.run("mosquitto_pub", pki.clientArguments(port: broker.tlsPort!, file: file) + ["-q", "1", "-t", topic, "-m", message] + extra)
    }

    @Test func deviceAndServicesExchangeMessagesWithTheirCertificateIdentities() async throws {
        let pki = try TestPKI()
        try pki.issueClient("admin:a1998e", file: "device")
        try pki.issueClient("v2k-bridge-1", file: "v2k")
        try pki.issueClient("k2v-bridge", file: "k2v")
        try await withTLSBroker(pki) { broker in
            let v2k = try await MosquittoClients.startSubscriber(
                port: broker.tlsPort!,
                arguments: Array(pki.clientArguments(port: broker.tlsPort!, file: "v2k").dropFirst(4)) + [
                    "-t", "$share/group/+/attrs", "-q", "1", "-C", "1", "-v", "-i", "v2k-bridge-1",
                ])
            let device = try await MosquittoClients.startSubscriber(
                port: broker.tlsPort!,
                arguments: Array(pki.clientArguments(port: broker.tlsPort!, file: "device").dropFirst(4)) + ["-t", "admin:a1998e/config", "-q", "1", "-C", "1", "-i", "dev-sub"])
            try await Task.sleep(for: .milliseconds(600))
            #expect(try await self.publish(pki, broker, as: "device", topic: "admin:a1998e/attrs", message: "{\"t\":1}").status == 0)
            #expect(try await self.publish(pki, broker, as: "k2v", topic: "admin:a1998e/config", message: "{\"target_temperature\":23}").status == 0)
            #expect(try await MosquittoClients.finish(v2k) == "admin:a1998e/attrs {\"t\":1}\n")
            #expect(try await MosquittoClients.finish(device) == "{\"target_temperature\":23}\n")
        }
    }

    @Test func connectUsernameCannotChangeTheIdentity() async throws {
        let pki = try TestPKI()
        try pki.issueClient("admin:d1", file: "device")
        try pki.issueClient("v2k-bridge", file: "v2k")
        try await withTLSBroker(pki) { broker in
            let v2k = try await MosquittoClients.startSubscriber(
                port: broker.tlsPort!, arguments: Array(pki.clientArguments(port: broker.tlsPort!, file: "v2k").dropFirst(4)) + ["-t", "+/attrs", "-q", "1", "-C", "1", "-v"])
            try await Task.sleep(for: .milliseconds(600))
            // Claiming another device's name changes nothing: its topic stays denied, its own allowed.
            _ = try await self.publish(pki, broker, as: "device", topic: "admin:d2/attrs", message: "spoof", extra: ["-u", "admin:d2"])
            #expect(try await self.publish(pki, broker, as: "device", topic: "admin:d1/attrs", message: "mine", extra: ["-u", "admin:d2"]).status == 0)
            #expect(try await MosquittoClients.finish(v2k) == "admin:d1/attrs mine\n")
        }
    }

    enum BadCertificate: String, CaseIterable { case none, otherCA, expired, revoked }

    @Test(arguments: BadCertificate.allCases)
    func badCertificatesAreRefusedAtTheHandshake(_ kind: BadCertificate) async throws {
        let pki = try TestPKI()
        try pki.issueClient("admin:good", file: "good")
        switch kind {
        case .none: break
        case .otherCA: try pki.issueClient("admin:bad", file: "bad", by: try TestPKI.makeAuthority(name: "Other CA"))
        case .expired:
            try pki.issueClient("admin:bad", file: "bad", validity: Validity(notBefore: Date().addingTimeInterval(-172_800), notAfter: Date().addingTimeInterval(-86_400)))
        case .revoked: try pki.revoke(try pki.issueClient("admin:bad", file: "bad"))
        }
        try await withTLSBroker(pki) { broker in
            let refused = try await self.publish(pki, broker, as: kind == .none ? nil : "bad", topic: "admin:bad/attrs", message: "{}")
            #expect(refused.status != 0, "\(kind) was accepted: \(refused.output)")
            #expect(try await self.publish(pki, broker, as: "good", topic: "admin:good/attrs", message: "{}").status == 0)
        }
    }

    @Test func newCRLClosesTheConnectionOfARevokedDevice() async throws {
        let pki = try TestPKI()
        let certificate = try pki.issueClient("admin:doomed", file: "device")
        try await withTLSBroker(pki) { broker in
            let client = try self.client(pki, broker, file: "device", clientID: "doomed")
            try await client.connect()
            try pki.revoke(certificate)
            let start = ContinuousClock.now
            while client.isConnected && ContinuousClock.now - start < .seconds(5) {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(!client.isConnected, "the revoked device is still connected")
            #expect(ContinuousClock.now - start < .seconds(2))
            await client.shutdown()
            // And it cannot come back.
            #expect(try await self.publish(pki, broker, as: "device", topic: "admin:doomed/attrs", message: "{}").status != 0)
        }
    }

    @Test func newServerCertificateIsServedToTheNextClient() async throws {
        let pki = try TestPKI()
        try pki.issueClient("admin:d", file: "device")
        try await withTLSBroker(pki) { broker in
            let before = try await self.servedSerial(pki, broker)
            let fresh = try pki.issueServerCertificate(name: "server-rotated")
            var served = before
            let deadline = ContinuousClock.now + .seconds(5)
            while served != fresh && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                served = try await self.servedSerial(pki, broker)
            }
            #expect(served == fresh && served != before)
        }
    }

    @Test func corruptCRLLeavesThePreviousOneInForce() async throws {
        let pki = try TestPKI()
        try pki.revoke(try pki.issueClient("admin:revoked", file: "revoked"))
        try pki.issueClient("admin:good", file: "good")
        try await withTLSBroker(pki) { broker in
            try pki.write("-----BEGIN X509 CRL-----\ngarbage\n-----END X509 CRL-----\n", to: "ca.crl")
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await self.publish(pki, broker, as: "revoked", topic: "admin:revoked/attrs", message: "{}").status != 0)
            #expect(try await self.publish(pki, broker, as: "good", topic: "admin:good/attrs", message: "{}").status == 0)
        }
    }

    private func client(_ pki: TestPKI, _ broker: TestBroker, file: String, clientID: String) throws -> MQTTClient {
        var configuration = MQTTClientConfiguration(host: "127.0.0.1", port: broker.tlsPort!, clientID: clientID, eventLoopGroup: broker.group)
        configuration.tls = try .files(caFile: pki.path("ca.crt"), certificateFile: pki.path("\(file).crt"), keyFile: pki.path("\(file).key"), serverHostname: "localhost")
        configuration.reconnect = .disabled
        return MQTTClient(configuration: configuration, logger: Logger(label: "tls-test"))
    }

    /// The serial of the certificate the broker serves now, as `openssl s_client` sees it.
    private func servedSerial(_ pki: TestPKI, _ broker: TestBroker) async throws -> String {
        let result = try await ProcessRunner.shell(
            "openssl s_client -connect 127.0.0.1:\(broker.tlsPort!) -CAfile \(pki.path("ca.crt")) -cert \(pki.path("device.crt")) -key \(pki.path("device.key")) </dev/null 2>/dev/null | openssl x509 -noout -serial"
        )
        return result.standardOutput.replacingOccurrences(of: "serial=", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
