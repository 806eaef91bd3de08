import Foundation
import NIOCore
import TestSupport
import Testing

@testable import MQTTCore

extension MQTTClientIntegrationTests {
    private static func mutualTLSBroker(_ certificates: TestCertificates) async throws -> Mosquitto {
        try await Mosquitto(extraConfig: [
            "cafile \(certificates.caFile)",
            "certfile \(certificates.serverCertificate)",
            "keyfile \(certificates.serverKey)",
            "require_certificate true",
            "use_identity_as_username true",
        ])
    }

    @Test func mutualTLSClientPublishesAndReceives() async throws {
        try await withTimeout {
            let certificates = try await TestCertificates.make()
            defer { certificates.remove() }
            let broker = try await Self.mutualTLSBroker(certificates)
            var configuration = MQTTClientConfiguration.test(broker, clientID: "tenant:device")
            configuration.tls = try .files(
                caFile: certificates.caFile, certificateFile: certificates.clientCertificate, keyFile: certificates.clientKey
            )
            let client = MQTTClient(configuration: configuration)
            let inbox = Inbox(client)
            try await client.connect()
            try await client.subscribe(to: "tenant:device/config", qos: .atLeastOnce)
            try await client.publish(topic: "tenant:device/config", payload: ByteBuffer(string: "{}"), qos: .atLeastOnce)
            let message = try await inbox.next()
            #expect(message.payload.string == "{}")
            message.acknowledge()
            await client.shutdown()
            await broker.stop()
        }
    }

    @Test func mutualTLSWithoutClientCertificateFails() async throws {
        try await withTimeout {
            let certificates = try await TestCertificates.make()
            defer { certificates.remove() }
            let broker = try await Self.mutualTLSBroker(certificates)
            var configuration = MQTTClientConfiguration.test(broker)
            configuration.tls = try .files(caFile: certificates.caFile)
            let client = MQTTClient(configuration: configuration)
            await #expect(throws: MQTTClientError.self) {
                try await client.connect()
            }
            #expect(!client.isConnected)
            await client.shutdown()
            await broker.stop()
        }
    }
}
