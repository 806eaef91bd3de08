import MQTTCore
import NIOCore
import Testing

/// The connection handler frames packets itself (no `ByteToMessageHandler`): what a read leaves of
/// an incomplete packet must join the next read, in order, however the bytes are cut.
@Suite(.timeLimit(.minutes(1))) struct BrokerPacketFramingTests {
    @Test func packetsCutAtEveryKindOfBoundaryArriveWholeAndInOrder() async throws {
        try await withConformanceBroker { broker in
            let subscriber = try await RawClient(port: broker.port, group: broker.group)
            try await subscriber.sendRaw(Wire.connect(payload: Wire.string("sub")))
            _ = try await subscriber.nextConnAck()
            try await subscriber.sendRaw(Wire.subscribe(packetID: 1, filters: [(Array("f/t".utf8), 0)]))
            try await subscriber.expect(.suback(SubAckPacket(packetID: 1, returnCodes: [.granted(.atMostOnce)])))

            let publisher = try await RawClient(port: broker.port, group: broker.group)
            // A large PUBLISH (its remaining length takes three bytes), small ones around it, and a
            // PINGREQ, written in 997-byte pieces: cuts fall inside headers, lengths and payloads.
            let large = (0..<100_000).map { UInt8(truncatingIfNeeded: $0) }
            var stream = Wire.connect(payload: Wire.string("pub"))
            stream += Wire.publish(topic: Array("f/t".utf8), payload: Array("first".utf8))
            stream += Wire.publish(topic: Array("f/t".utf8), payload: large)
            stream += Wire.publish(topic: Array("f/t".utf8), payload: Array("last".utf8))
            stream += [0xC0, 0x00]
            var offset = 0
            while offset < stream.count {
                let end = min(offset + 997, stream.count)
                try await publisher.sendRaw(Array(stream[offset..<end]))
                offset = end
            }
            _ = try await publisher.nextConnAck()
            try await publisher.expect(.pingresp)
            #expect(try await subscriber.nextPublish().payloadString == "first")
            let big = try await subscriber.nextPublish()
            #expect(big.payload.readableBytesView.elementsEqual(large))
            #expect(try await subscriber.nextPublish().payloadString == "last")
        }
    }
}
