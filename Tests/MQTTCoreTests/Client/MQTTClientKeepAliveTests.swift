import NIOCore
import NIOEmbedded
import Testing

@testable import MQTTCore

/// The keepalive timer on an `EmbeddedChannel`, whose event loop has a virtual clock.
@Suite struct MQTTClientKeepAliveTests {
    private func connectedChannel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(handler: MQTTKeepAliveHandler(interval: .seconds(10), pingTimeout: .seconds(3)))
        try channel.connect(to: .init(ipAddress: "127.0.0.1", port: 1883)).wait()
        try channel.writeInbound(MQTTPacket.connack(.init(returnCode: .accepted)))
        _ = try channel.readInbound(as: MQTTPacket.self)
        return channel
    }

    @Test func idleConnectionSendsPingAfterTheInterval() throws {
        let channel = try self.connectedChannel()
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(try channel.readOutbound(as: MQTTPacket.self) == nil)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(try channel.readOutbound(as: MQTTPacket.self) == .pingreq)
        _ = try? channel.finish()
    }

    @Test func writesPostponeThePing() throws {
        let channel = try self.connectedChannel()
        channel.embeddedEventLoop.advanceTime(by: .seconds(6))
        try channel.writeOutbound(MQTTPacket.puback(packetID: 1))
        _ = try channel.readOutbound(as: MQTTPacket.self)
        channel.embeddedEventLoop.advanceTime(by: .seconds(6))
        #expect(try channel.readOutbound(as: MQTTPacket.self) == nil)
        channel.embeddedEventLoop.advanceTime(by: .seconds(4))
        #expect(try channel.readOutbound(as: MQTTPacket.self) == .pingreq)
        _ = try? channel.finish()
    }

    @Test func pingRespInTimeKeepsTheConnection() throws {
        let channel = try self.connectedChannel()
        channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        #expect(try channel.readOutbound(as: MQTTPacket.self) == .pingreq)
        try channel.writeInbound(MQTTPacket.pingresp)
        #expect(try channel.readInbound(as: MQTTPacket.self) == nil)  // PINGRESP stops here
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        #expect(throws: Never.self) { try channel.throwIfErrorCaught() }
        _ = try? channel.finish()
    }

    @Test func missingPingRespIsAKeepAliveTimeout() throws {
        let channel = try self.connectedChannel()
        channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        #expect(try channel.readOutbound(as: MQTTPacket.self) == .pingreq)
        channel.embeddedEventLoop.advanceTime(by: .seconds(3))
        #expect {
            try channel.throwIfErrorCaught()
        } throws: { error in
            guard case .keepAliveTimeout = error as? MQTTClientError else { return false }
            return true
        }
        _ = try? channel.finish()
    }

    @Test func pausedReadsDoNotCountAsAMissingPingRespButPingsContinue() throws {
        let channel = try self.connectedChannel()
        channel.pipeline.triggerUserOutboundEvent(MQTTReadFlow.paused, promise: nil)
        channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        #expect(try channel.readOutbound(as: MQTTPacket.self) == .pingreq)
        channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        #expect(try channel.readOutbound(as: MQTTPacket.self) == .pingreq)
        #expect(throws: Never.self) { try channel.throwIfErrorCaught() }
        channel.pipeline.triggerUserOutboundEvent(MQTTReadFlow.resumed, promise: nil)
        channel.embeddedEventLoop.advanceTime(by: .seconds(3))
        #expect(throws: MQTTClientError.self) { try channel.throwIfErrorCaught() }
        _ = try? channel.finish()
    }
}
