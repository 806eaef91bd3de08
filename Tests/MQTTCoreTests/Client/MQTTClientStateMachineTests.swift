import NIOCore
import NIOEmbedded
import TestSupport
import Testing

@testable import MQTTCore

@Suite struct MQTTClientStateMachineTests {
    private func connectedMachine(window: Int = 2, cleanSession: Bool = false) throws -> (MQTTClientStateMachine, EmbeddedChannel) {
        var machine = MQTTClientStateMachine(cleanSession: cleanSession, inflightWindow: window, automaticAcknowledgement: false, reconnectEnabled: true)
        let channel = EmbeddedChannel()
        let promise = channel.eventLoop.makePromise(of: Bool.self)
        guard case .start(let id) = machine.connect(promise: promise) else { throw TestFailure("no start") }
        _ = machine.channelOpened(channel, connectionID: id)
        let actions = machine.connAckReceived(.init(returnCode: .accepted), connectionID: id)
        actions.connectPromise?.succeed(false)
        return (machine, channel)
    }

    private func publish(_ machine: inout MQTTClientStateMachine, on loop: any EventLoop) -> (MQTTClientStateMachine.PublishAction, EventLoopPromise<Void>) {
        let promise = loop.makePromise(of: Void.self)
        let action = machine.publish(PublishPacket(topic: "t", payload: ByteBuffer(), qos: .atLeastOnce), promise: promise)
        return (action, promise)
    }

    @Test func publishesBeyondTheWindowQueueAndGoOutOnPubAck() throws {
        var (machine, channel) = try self.connectedMachine(window: 2)
        var ids: [UInt16] = []
        var promises: [EventLoopPromise<Void>] = []
        for _ in 0..<3 {
            let (action, promise) = self.publish(&machine, on: channel.eventLoop)
            promises.append(promise)
            if case .write(let packet, _) = action { ids.append(packet.packetID!) }
        }
        #expect(ids == [1, 2])
        let acked = machine.pubAckReceived(packetID: 1)
        #expect(acked.packets.count == 1)
        guard case .publish(let third) = acked.packets.first else { throw TestFailure("no publish") }
        #expect(third.packetID == 3)
        acked.completed?.succeed()
        for promise in promises.dropFirst() { promise.succeed() }
    }

    @Test func packetIDsSkipThoseStillInFlight() throws {
        var (machine, channel) = try self.connectedMachine(window: 3)
        var promises: [EventLoopPromise<Void>] = []
        var seen: [UInt16] = []
        // Keep identifier 1 in flight while the allocator wraps around all others.
        for _ in 0..<70_000 {
            let (action, promise) = self.publish(&machine, on: channel.eventLoop)
            guard case .write(let packet, _) = action else { throw TestFailure("queued") }
            let id = packet.packetID!
            if id == 1 {
                promises.append(promise)
                seen.append(id)
                continue
            }
            #expect(id != 1)
            machine.pubAckReceived(packetID: id).completed?.succeed()
        }
        #expect(seen == [1])
        machine.pubAckReceived(packetID: 1).completed?.succeed()
    }

    @Test func cleanSessionOffRetransmitsWithDupAndPubRelAfterReconnect() throws {
        var (machine, channel) = try self.connectedMachine(window: 5)
        let q1 = channel.eventLoop.makePromise(of: Void.self)
        let q2 = channel.eventLoop.makePromise(of: Void.self)
        _ = machine.publish(PublishPacket(topic: "a", payload: ByteBuffer(string: "1"), qos: .atLeastOnce), promise: q1)
        _ = machine.publish(PublishPacket(topic: "b", payload: ByteBuffer(string: "2"), qos: .exactlyOnce), promise: q2)
        #expect(machine.pubRecReceived(packetID: 2) == .pubrel(packetID: 2))
        let lost = machine.channelClosed(connectionID: 1, error: nil)
        #expect(lost.failedPublishes.isEmpty && lost.reconnectAttempt == 0)
        guard case .start(let id) = machine.reconnectTimerFired(attempt: 0) else { throw TestFailure("no reconnect") }
        let newChannel = EmbeddedChannel()
        _ = machine.channelOpened(newChannel, connectionID: id)
        let actions = machine.connAckReceived(.init(sessionPresent: true, returnCode: .accepted), connectionID: id)
        #expect(
            actions.packets == [
                .publish(PublishPacket(topic: "a", payload: ByteBuffer(string: "1"), qos: .atLeastOnce, dup: true, packetID: 1)),
                .pubrel(packetID: 2),
            ])
        machine.pubAckReceived(packetID: 1).completed?.succeed()
        machine.pubCompReceived(packetID: 2).completed?.succeed()
        #expect(machine.outbound.inFlight.isEmpty)
    }

    @Test func duplicateQoS2PublishIsNotDeliveredTwice() throws {
        var (machine, _) = try self.connectedMachine()
        let packet = PublishPacket(topic: "t", payload: ByteBuffer(), qos: .exactlyOnce, packetID: 7)
        let first = machine.publishReceived(packet)
        #expect(first.deliver && first.reply == nil)
        #expect(!machine.publishReceived(packet).deliver)
        let ack = machine.acknowledge(packetID: 7, token: first.token!)
        #expect(ack?.0 == .pubrec(packetID: 7))
        let again = machine.publishReceived(packet)
        #expect(!again.deliver && again.reply == .pubrec(packetID: 7))
        #expect(machine.pubRelReceived(packetID: 7) == .pubcomp(packetID: 7))
        #expect(machine.publishReceived(packet).deliver)
    }

    @Test func qos1AcknowledgementIsSentOnce() throws {
        var (machine, _) = try self.connectedMachine()
        let actions = machine.publishReceived(PublishPacket(topic: "t", payload: ByteBuffer(), qos: .atLeastOnce, packetID: 3))
        #expect(machine.acknowledge(packetID: 3, token: actions.token!)?.0 == .puback(packetID: 3))
        #expect(machine.acknowledge(packetID: 3, token: actions.token!) == nil)
    }

    @Test func reconnectDelaysGrowAndStayCapped() {
        let policy = MQTTReconnectPolicy(initialDelay: .milliseconds(100), maxDelay: .seconds(1), multiplier: 2, jitter: 0.2)
        #expect(policy.delay(attempt: 0, random: 0.5) == .milliseconds(100))
        #expect(policy.delay(attempt: 3, random: 0.5) == .milliseconds(800))
        #expect(policy.delay(attempt: 40, random: 0.5) == .seconds(1))
        #expect(policy.delay(attempt: 40, random: 1) == .milliseconds(1200))
        #expect(policy.delay(attempt: 0, random: 0) == .milliseconds(80))
    }
}
