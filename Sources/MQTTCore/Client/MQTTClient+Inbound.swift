import NIOCore

extension MQTTClient {
    /// One packet from the broker, on the connection's event loop.
    func received(_ packet: MQTTPacket, connectionID: UInt64) -> MQTTClientChannelHandler.Verdict {
        switch packet {
        case .publish(let publish):
            return self.publishReceived(publish)
        case .puback(let id):
            self.carryOut(self.state.withLockedValue { $0.machine.pubAckReceived(packetID: id) })
        case .pubcomp(let id):
            self.carryOut(self.state.withLockedValue { $0.machine.pubCompReceived(packetID: id) })
        case .pubrec(let id):
            self.reply(self.state.withLockedValue { $0.machine.pubRecReceived(packetID: id) })
        case .pubrel(let id):
            self.reply(self.state.withLockedValue { $0.machine.pubRelReceived(packetID: id) })
        case .suback(let suback):
            switch self.state.withLockedValue({ $0.machine.subAckReceived(suback) }) {
            case .succeed(let promise, let codes): promise.succeed(codes)
            case .none: break
            case .protocolViolation(let what): return .close(.protocolViolation(what))
            }
        case .unsuback(let id):
            self.state.withLockedValue { $0.machine.unsubAckReceived(packetID: id) }?.succeed()
        case .connack(let connack):
            return self.connAckReceived(connack, connectionID: connectionID)
        case .pingresp:
            break
        case .connect, .subscribe, .unsubscribe, .pingreq, .disconnect:
            return .close(.protocolViolation("\(packet.type.name) sent by the broker"))
        }
        return .continueReading
    }

    private func connAckReceived(_ connack: ConnAckPacket, connectionID: UInt64) -> MQTTClientChannelHandler.Verdict {
        let actions = self.state.withLockedValue { $0.machine.connAckReceived(connack, connectionID: connectionID) }
        if let failure = actions.failure {
            self.connectionLost(failure)
            return .close(failure.error)
        }
        if let channel = self.state.withLockedValue({ $0.machine.connectedChannel }), !actions.packets.isEmpty {
            for packet in actions.packets { channel.write(packet, promise: nil) }
            channel.flush()
        }
        self.logger.debug("MQTT connected", metadata: ["session_present": "\(connack.sessionPresent)"])
        actions.connectPromise?.succeed(connack.sessionPresent)
        self.emit(actions.event)
        return .continueReading
    }

    private func publishReceived(_ publish: PublishPacket) -> MQTTClientChannelHandler.Verdict {
        let actions = self.state.withLockedValue { $0.machine.publishReceived(publish) }
        if let reply = actions.reply { self.reply(reply) }
        guard actions.deliver else { return .continueReading }
        let message = MQTTInboundMessage(publish, acknowledgement: actions.token.map { .init(client: self, token: $0) })
        switch self.inboundSource.yield(message) {
        case .produceMore, .dropped: return .continueReading
        case .stopProducing: return .pauseReading
        }
    }

    private func carryOut(_ actions: MQTTClientStateMachine.AcknowledgedActions) {
        actions.completed?.succeed()
        guard !actions.packets.isEmpty, let channel = self.state.withLockedValue({ $0.machine.connectedChannel }) else { return }
        for packet in actions.packets { channel.write(packet, promise: nil) }
        channel.flush()
    }

    private func reply(_ packet: MQTTPacket) {
        self.state.withLockedValue { $0.machine.connectedChannel }?.writeAndFlush(packet, promise: nil)
    }

    /// Acknowledges a QoS 1/2 message to the broker (PUBACK, or PUBREC then PUBCOMP on PUBREL).
    /// See `MQTTInboundMessage.acknowledge()`.
    public func acknowledge(_ message: MQTTInboundMessage) {
        guard let acknowledgement = message.acknowledgement, let id = message.packetID else { return }
        precondition(acknowledgement.client === self, "a message is acknowledged by the client that received it")
        let step = self.state.withLockedValue { $0.machine.acknowledge(packetID: id, token: acknowledgement.token) }
        if let (packet, channel) = step { channel.writeAndFlush(packet, promise: nil) }
    }

    /// Acknowledges several messages with one lock step and one flush: for consumers that
    /// confirm in bursts (the v2k-bridge acknowledges per Kafka delivery-report batch). Call it
    /// on the client's event loop, where the writes need no hop each.
    public func acknowledge(_ messages: [MQTTInboundMessage]) {
        let steps = self.state.withLockedValue { state in
            messages.compactMap { message -> (MQTTPacket, any Channel)? in
                guard let acknowledgement = message.acknowledgement, let id = message.packetID else { return nil }
                precondition(acknowledgement.client === self, "a message is acknowledged by the client that received it")
                return state.machine.acknowledge(packetID: id, token: acknowledgement.token)
            }
        }
        var written: (any Channel)?
        for (packet, channel) in steps {
            if let previous = written, previous !== channel { previous.flush() }
            channel.write(packet, promise: nil)
            written = channel
        }
        written?.flush()
    }
}
