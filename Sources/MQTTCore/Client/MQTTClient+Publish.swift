import NIOCore

extension MQTTClient {
    /// Publishes and returns when the exchange is complete: written (QoS 0), PUBACK (QoS 1) or
    /// PUBCOMP (QoS 2). With a full in-flight window, or while reconnecting, QoS 1/2 publishes
    /// wait their turn; with clean session off they survive reconnects and still complete.
    public func publish(topic: String, payload: ByteBuffer, qos: QoS = .atLeastOnce, retain: Bool = false) async throws {
        try await self.publishFuture(topic: topic, payload: payload, qos: qos, retain: retain).get()
    }

    /// `publish` for callers on an event loop: no task, one promise.
    public func publishFuture(topic: String, payload: ByteBuffer, qos: QoS = .atLeastOnce, retain: Bool = false) -> EventLoopFuture<Void> {
        do {
            try Topic.validateName(topic)
        } catch {
            return self.eventLoop.makeFailedFuture(MQTTClientError.invalidTopicName(topic, error))
        }
        // The encoder would refuse it too, but as a pipeline error that closes the connection.
        guard topic.utf8.count <= Int(UInt16.max) else {
            return self.eventLoop.makeFailedFuture(MQTTClientError.encoding(.fieldTooLong(bytes: topic.utf8.count)))
        }
        let promise = self.eventLoop.makePromise(of: Void.self)
        let packet = PublishPacket(topic: topic, payload: payload, qos: qos, retain: retain)
        // The state step runs on the event loop so that writes leave in the order the steps
        // decided them: a publish released from the window by a PUBACK (on the loop) must not
        // overtake earlier ones still hopping to it. The hop replaces the one `writeAndFlush`
        // would make from another thread.
        if self.eventLoop.inEventLoop {
            self.startPublish(packet, promise: promise)
        } else {
            self.eventLoop.execute { self.startPublish(packet, promise: promise) }
        }
        return promise.futureResult
    }

    private func startPublish(_ packet: PublishPacket, promise: EventLoopPromise<Void>) {
        switch self.state.withLockedValue({ $0.machine.publish(packet, promise: promise) }) {
        case .write(let packet, let channel):
            channel.writeAndFlush(MQTTPacket.publish(packet), promise: packet.qos == .atMostOnce ? promise : nil)
        case .queued:
            break
        case .fail(let error):
            promise.fail(error)
        }
    }
}
