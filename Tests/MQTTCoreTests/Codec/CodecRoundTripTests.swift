import MQTTCore
import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing

@Suite struct CodecRoundTripTests {
    @Test(arguments: PacketSamples.all)
    func everyPacketDecodesToWhatWasEncoded(_ packet: MQTTPacket) throws {
        var buffer = try PacketSamples.encode(packet)
        var parser = MQTTPacketParser()
        let decoded = try parser.parse(&buffer)
        #expect(decoded == packet)
        #expect(buffer.readableBytes == 0)
    }

    @Test func partialPacketsWaitWithoutConsumingBytes() throws {
        var whole = try PacketSamples.encode(PacketSamples.all[7])
        var parser = MQTTPacketParser()
        for length in 0..<whole.readableBytes {
            var prefix = whole.getSlice(at: whole.readerIndex, length: length)!
            #expect(try parser.parse(&prefix) == nil)
            #expect(prefix.readableBytes == length)
        }
        #expect(try parser.parse(&whole) == PacketSamples.all[7])
    }

    @Test func byteAtATimeAndAllAtOnceGiveTheSamePackets() throws {
        let pairs = try PacketSamples.all.map { packet in (try PacketSamples.encode(packet), [packet]) }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) {
            MQTTPacketDecoder()
        }
    }

    @Test func pipelinedPacketsInOneReadAllArrive() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(MQTTPacketDecoder()))
        var all = ByteBuffer()
        for packet in PacketSamples.all { try packet.write(to: &all) }
        try channel.writeInbound(all)
        for packet in PacketSamples.all {
            #expect(try channel.readInbound(as: MQTTPacket.self) == packet)
        }
        #expect(try channel.finish().isClean)
    }

    @Test func remainingLengthUsesMinimalEncodingAtEveryBoundary() throws {
        for (payloadSize, headerBytes) in [(0, 2), (121, 2), (122, 3), (16_377, 3), (16_378, 4)] {
            let packet = MQTTPacket.publish(PublishPacket(topic: "abcd", payload: ByteBuffer(repeating: 1, count: payloadSize)))
            let encoded = try PacketSamples.encode(packet)
            #expect(encoded.readableBytes == headerBytes + 6 + payloadSize, "payload \(payloadSize)")
            var copy = encoded
            var parser = MQTTPacketParser()
            #expect(try parser.parse(&copy) == packet)
        }
    }

    @Test func encoderRefusesQoS1PublishWithoutPacketID() {
        let packet = MQTTPacket.publish(PublishPacket(topic: "a", payload: ByteBuffer(), qos: .atLeastOnce))
        #expect(throws: MQTTEncodingError.missingPacketIdentifier) { try PacketSamples.encode(packet) }
    }

    @Test func encoderRefusesStringsLongerThan65535Bytes() {
        let packet = MQTTPacket.publish(PublishPacket(topic: String(repeating: "a", count: 70_000), payload: ByteBuffer()))
        #expect(throws: MQTTEncodingError.fieldTooLong(bytes: 70_000)) { try PacketSamples.encode(packet) }
    }
}
