import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TestSupport
import Testing

@testable import MQTTCore

extension MQTTClientIntegrationTests {
    @Test func willIsPublishedWhenTheConnectionDies() async throws {
        try await withTimeout {
            let net = try await PubSub.start(
                subscribeTo: "wills/#", qos: .atLeastOnce,
                publisher: {
                    $0.will = .init(topic: "wills/dying", payload: ByteBuffer(string: "gone"), qos: .atLeastOnce)
                })
            // No DISCONNECT: the socket just closes.
            try await net.publisher.state.withLockedValue { $0.machine.connectedChannel }!.close()
            let will = try await net.inbox.next()
            #expect(will.topic == "wills/dying" && will.payload.string == "gone")
            await net.close()
        }
    }

    @Test func willIsNotPublishedAfterDisconnect() async throws {
        try await withTimeout {
            let net = try await PubSub.start(
                subscribeTo: "wills/#", qos: .atLeastOnce,
                publisher: {
                    $0.will = .init(topic: "wills/polite", payload: ByteBuffer(string: "gone"), qos: .atLeastOnce)
                })
            try await net.publisher.disconnect()
            #expect(!net.publisher.isConnected)
            #expect(try await net.inbox.nothing(within: .milliseconds(700)) == nil)
            await net.close()
        }
    }

    @Test func pingsKeepAnIdleConnectionAlive() async throws {
        try await withTimeout {
            let broker = try await Mosquitto()
            var configuration = MQTTClientConfiguration.test(broker)
            configuration.keepAlive = .seconds(1)
            let client = MQTTClient(configuration: configuration)
            let events = EventLog(client)
            let inbox = Inbox(client)
            try await client.connect()
            try await client.subscribe(to: "idle", qos: .atLeastOnce)
            try await Task.sleep(for: .milliseconds(3200))  // past 1.5 x keepalive, twice
            #expect(client.isConnected)
            #expect(!events.all.contains { if case .disconnected = $0 { true } else { false } })
            try await client.publish(topic: "idle", payload: ByteBuffer(string: "still here"), qos: .atLeastOnce)
            #expect(try await inbox.next().payload.string == "still here")
            await client.shutdown()
            await broker.stop()
        }
    }

    @Test func missingPingRespClosesTheConnection() async throws {
        try await withTimeout {
            let server = try await SilentBroker.start()
            var configuration = MQTTClientConfiguration(
                host: "127.0.0.1", port: server.port, clientID: "pinger", keepAlive: .seconds(1),
                pingTimeout: .milliseconds(300), reconnect: .disabled
            )
            configuration.connectTimeout = .seconds(5)
            let client = MQTTClient(configuration: configuration)
            let events = EventLog(client)
            try await client.connect()
            let event = try await events.wait(timeout: .seconds(4)) { if case .disconnected = $0 { true } else { false } }
            guard case .disconnected(error: .keepAliveTimeout?) = event else {
                Issue.record("expected a keepalive timeout, got \(event)")
                return
            }
            #expect(!client.isConnected)
            await client.shutdown()
            try await server.channel.close()
        }
    }

    @Test func refusedConnAckThrowsTheReturnCode() async throws {
        try await withTimeout {
            let broker = try await Mosquitto(allowAnonymous: false)
            let client = MQTTClient(configuration: .test(broker))
            await #expect {
                try await client.connect()
            } throws: { error in
                guard case .connectionRefused(.notAuthorized) = error as? MQTTClientError else { return false }
                return true
            }
            #expect(!client.isConnected)
            await client.shutdown()
            await broker.stop()
        }
    }

    @Test func connectTimesOutWhenNoConnAckComes() async throws {
        try await withTimeout {
            let server = try await SilentBroker.start(answerConnect: false)
            var configuration = MQTTClientConfiguration(host: "127.0.0.1", port: server.port, clientID: "waiting", reconnect: .disabled)
            configuration.connectTimeout = .milliseconds(300)
            let client = MQTTClient(configuration: configuration)
            await #expect {
                try await client.connect()
            } throws: { error in
                guard case .connectTimeout = error as? MQTTClientError else { return false }
                return true
            }
            await client.shutdown()
            try await server.channel.close()
        }
    }

    @Test func shutdownFailsPendingPublishes() async throws {
        try await withTimeout {
            let server = try await SilentBroker.start()
            let client = MQTTClient(
                configuration: MQTTClientConfiguration(
                    host: "127.0.0.1", port: server.port, clientID: "stuck", reconnect: .disabled
                ))
            try await client.connect()
            let pending = client.publishFuture(topic: "never/acked", payload: ByteBuffer(string: "x"), qos: .atLeastOnce)
            await client.shutdown()
            await #expect {
                try await pending.get()
            } throws: { error in
                guard case .shutdown = error as? MQTTClientError else { return false }
                return true
            }
            try await server.channel.close()
        }
    }
}

/// A TCP server that answers CONNECT with CONNACK (or not at all) and then ignores everything,
/// PINGREQ included: what a hung broker looks like.
struct SilentBroker {
    let channel: any Channel
    var port: Int { self.channel.localAddress!.port! }

    static func start(answerConnect: Bool = true) async throws -> SilentBroker {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(MQTTPacketDecoder()))
                    try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(MQTTPacketEncoder()))
                    try channel.pipeline.syncOperations.addHandler(Handler(answerConnect: answerConnect))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return SilentBroker(channel: channel)
    }

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = MQTTPacket
        typealias OutboundOut = MQTTPacket
        let answerConnect: Bool

        init(answerConnect: Bool) { self.answerConnect = answerConnect }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if case .connect = self.unwrapInboundIn(data), self.answerConnect {
                context.writeAndFlush(self.wrapOutboundOut(.connack(.init(returnCode: .accepted))), promise: nil)
            }
        }
    }
}

extension MQTTClientIntegrationTests {
    /// The first connection of a service: attempts with backoff while the broker is away, then
    /// connected as soon as it is back; cancellation ends the attempts.
    @Test func connectRetryingWaitsForTheBrokerAndStopsOnCancellation() async throws {
        try await withTimeout {
            let broker = try await Mosquitto()
            await broker.stop()
            var configuration = MQTTClientConfiguration.test(broker)
            configuration.reconnect = MQTTReconnectPolicy(initialDelay: .milliseconds(50), maxDelay: .milliseconds(200))
            let client = MQTTClient(configuration: configuration)
            let failures = NIOLockedValueBox(0)
            let connecting = Task { try await client.connectRetrying { _, _, _ in failures.withLockedValue { $0 += 1 } } }
            while failures.withLockedValue({ $0 }) < 3 { try await Task.sleep(for: .milliseconds(20)) }
            try await broker.start()
            _ = try await connecting.value
            #expect(client.isConnected)
            await client.shutdown()

            await broker.stop()
            let other = MQTTClient(configuration: configuration)
            let abandoned = Task { try await other.connectRetrying { _, _, _ in } }
            try await Task.sleep(for: .milliseconds(300))
            abandoned.cancel()
            await #expect(throws: CancellationError.self) { try await abandoned.value }
            await other.shutdown()
        }
    }
}
