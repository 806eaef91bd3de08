import Broker
import Foundation
import Logging
import MQTTAuthorization
import NIOPosix
import TestSupport
import X509

/// Test certificates made at test time: a CA, the broker's (127.0.0.1, localhost) and the bridge's.
struct TestPKI {
    let directory: URL

    init(bridgeCommonName: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("k2v-pki-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let ca = try CertificateAuthority.selfSigned(key: PrivateKey(generating: .ec256), commonName: "k2v test CA", validity: .days(1))
        try AtomicFile.write(ca.certificate.pem(), to: path("ca.crt"))
        let serverKey = try PrivateKey(generating: .ec256)
        let serverRequest = try CertificateSigningRequest(
            key: serverKey, commonName: "localhost", subjectAlternativeNames: [.dns("localhost"), .ip("127.0.0.1")])
        try AtomicFile.write(ca.sign(serverRequest, usage: .serverAuth, validity: .days(1)).pem(), to: path("broker.crt"))
        try AtomicFile.write(serverKey.pem(), to: path("broker.key"), mode: 0o600)
        let bridgeKey = try PrivateKey(generating: .ec256)
        let bridge = try ca.sign(CertificateSigningRequest(key: bridgeKey, commonName: bridgeCommonName), usage: .clientAuth, validity: .days(1))
        try AtomicFile.write(bridge.pem(), to: path("bridge.crt"))
        try AtomicFile.write(bridgeKey.pem(), to: path("bridge.key"), mode: 0o600)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
    func remove() { try? FileManager.default.removeItem(at: directory) }
}

/// Our broker in the test process with dojot authorization: mutual TLS for services, the plain
/// listener for devices (identity = user name).
func withDojotBroker<T>(pki: TestPKI, _ body: (_ plainPort: Int, _ tlsPort: Int) async throws -> T) async throws -> T {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    var configuration = BrokerConfiguration(tls: .init(ca: pki.path("ca.crt"), certificate: pki.path("broker.crt"), key: pki.path("broker.key"), crl: nil))
    configuration.bindHost = "127.0.0.1"
    configuration.mqttPort = 0
    configuration.mqttsPort = 0
    var logger = Logger(label: "test-broker")
    logger.logLevel = .critical
    let server = try BrokerServer(configuration: configuration, authorizer: DojotAuthorizer(), group: group, logger: logger)
    let ports = try await server.start()
    do {
        let result = try await body(ports.mqtt!, ports.mqtts!)
        await server.stop()
        try await group.shutdownGracefully()
        return result
    } catch {
        await server.stop()
        try await group.shutdownGracefully()
        throw error
    }
}

/// Our broker in the test process, plain listener, everything allowed.
func withPlainBroker<T>(maxPacketBytes: Int = 262_144, _ body: (_ port: Int) async throws -> T) async throws -> T {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    var configuration = BrokerConfiguration(tls: .init(ca: "", certificate: "", key: "", crl: nil))
    configuration.bindHost = "127.0.0.1"
    configuration.mqttPort = 0
    configuration.mqttsPort = nil
    configuration.limits.maxInflight = 1000
    configuration.limits.maxPacketBytes = maxPacketBytes
    var logger = Logger(label: "test-broker")
    logger.logLevel = .critical
    let server = try BrokerServer(configuration: configuration, authorizer: AllowAllAuthorizer(), group: group, logger: logger)
    let port = try await server.start().mqtt!
    do {
        let result = try await body(port)
        await server.stop()
        try await group.shutdownGracefully()
        return result
    } catch {
        await server.stop()
        try await group.shutdownGracefully()
        throw error
    }
}

/// `mosquitto_sub` as a device on the plain listener; `output()` waits for it to exit after
/// `count` messages.
struct MosquittoSubscriber {
    let process: ChildProcess

    static func start(port: Int, device: String, count: Int) async throws -> MosquittoSubscriber {
        let process = try await ChildProcess.spawn(
            "/usr/bin/mosquitto_sub",
            [
                "-h", "127.0.0.1", "-p", "\(port)", "-u", device, "-i", device, "-t", "\(device)/config", "-q", "1", "-C", "\(count)",
            ], output: .captured)
        return MosquittoSubscriber(process: process)
    }

    func output(timeout: Duration) async throws -> String {
        _ = try await eventually("mosquitto_sub to receive its messages", timeout: timeout) { process.hasExited ? true : nil }
        return process.standardOutput
    }
}
