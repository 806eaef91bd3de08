import BrokerTestSupport
import Logging
import MQTTAuthorization
import MQTTCore
import NIOCore
import NIOPosix
import Testing

@testable import Broker

/// Nothing of a connection survives its close: after many open/close cycles (bare TCP, MQTT
/// sessions, mutual TLS) the broker holds no more connection handlers than before.
@Suite struct BrokerConnectionLeakTests {
    @Test func plainConnectionsLeaveNothingBehind() async throws {
        try await withTestBroker { broker in
            let baseline = broker.live
            for n in 0..<200 {
                // Half never send CONNECT, half end a session, some of them persistent.
                if n.isMultiple(of: 2) {
                    let client = try await RawClient(port: broker.port, group: broker.group)
                    await client.drop()
                } else {
                    let (client, _) = try await RawClient.connect(broker, clientID: "leak-\(n % 10)", cleanSession: n % 3 != 0, username: "admin:d\(n % 10)")
                    _ = try await client.subscribe([("admin:d\(n % 10)/config", .atLeastOnce)])
                    if n % 4 == 1 { await client.drop() } else { await client.disconnect() }
                }
            }
            #expect(try await Self.settles(broker, to: baseline), "live handlers: \(broker.live), before: \(baseline)")
        }
    }

    @Test func mutualTLSConnectionsLeaveNothingBehind() async throws {
        let pki = try TestPKI()
        try pki.issueClient("admin:tls1", file: "device")
        try await withTestBroker(configure: { configuration in
            let files = pki.files
            configuration.mqttsPort = 0
            configuration.tls = .init(ca: files.ca, certificate: files.certificate, key: files.key, crl: files.crl)
        }) { broker in
            let tls = try MQTTClientTLS.files(caFile: pki.path("ca.crt"), certificateFile: pki.path("device.crt"), keyFile: pki.path("device.key"), verifyHostname: false)
            let baseline = broker.live
            for n in 0..<60 {
                let client = MQTTClient(
                    configuration: MQTTClientConfiguration(
                        host: "127.0.0.1", port: broker.tlsPort!, tls: tls, clientID: "tls-\(n % 5)", cleanSession: n.isMultiple(of: 2),
                        reconnect: .disabled, eventLoopGroup: broker.group
                    ), logger: Logger(label: "leak-test"))
                _ = try await client.connect()
                try await client.disconnect()
                await client.shutdown()
            }
            #expect(try await Self.settles(broker, to: baseline), "live handlers: \(broker.live), before: \(baseline)")
        }
    }

    /// A connection the broker closes itself (here for a publish its identity may not make) ends
    /// its clean session: nothing stays in the registry or holds the dead connection.
    @Test func connectionsClosedForADeniedPublishLeaveNothingBehind() async throws {
        try await withTestBroker(authorizer: DojotAuthorizer()) { broker in
            let baseline = broker.live
            for n in 0..<40 {
                let (device, _) = try await RawClient.connect(broker, clientID: "denied-\(n)", username: "admin:d1")
                try await device.publish("admin:d2/attrs", "{}", qos: .atLeastOnce, id: 1)
                try await device.expectClosed()
            }
            #expect(try await Self.settles(broker, to: baseline), "live handlers: \(broker.live), before: \(baseline)")
            #expect(broker.server.core.registry.count == 0)
        }
    }

    /// Closing is asynchronous: give the loops a moment to finish the last closes.
    static func settles(_ broker: TestBroker, to baseline: Int) async throws -> Bool {
        for _ in 0..<50 {
            if broker.live <= baseline { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }
}

extension TestBroker {
    /// This broker's connection handlers still in memory.
    var live: Int { self.server.core.liveHandlers.load(ordering: .relaxed) }
}
