import MQTTCore
import NIOCore
import NIOEmbedded
import Testing

/// Random bytes never crash the decoder or make it hold more than its limit.
@Suite struct DecoderRobustnessTests {
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func randomBytesNeverCrashOrBufferPastTheLimit() {
        var random = SplitMix64(state: 0x5EED)
        let limit = 512
        var errors = 0
        for _ in 0..<20_000 {
            var parser = MQTTPacketParser(limits: .init(maxPacketSize: limit))
            var buffer = ByteBuffer()
            let length = Int.random(in: 1...64, using: &random)
            // Half the inputs start like a real packet so the parser goes past the fixed header.
            let firstByte: UInt8 = Bool.random(using: &random) ? UInt8.random(in: 0...255, using: &random) : [0x10, 0x30, 0x32, 0x82, 0xA2][Int.random(in: 0..<5, using: &random)]
            buffer.writeInteger(firstByte)
            for _ in 0..<length { buffer.writeInteger(UInt8.random(in: 0...255, using: &random)) }
            do {
                while (try parser.parse(&buffer)) != nil {}
                // Waiting for more: what is held is part of one packet no larger than the limit.
                #expect(buffer.readableBytes < limit)
            } catch {
                errors += 1
            }
        }
        #expect(errors > 0)
    }

    @Test func mutatedValidPacketsNeverCrash() throws {
        var random = SplitMix64(state: 42)
        for packet in PacketSamples.all {
            let encoded = try PacketSamples.encode(packet)
            for _ in 0..<300 {
                var bytes = Array(encoded.readableBytesView)
                let flips = Int.random(in: 1...3, using: &random)
                for _ in 0..<flips {
                    bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
                var buffer = ByteBuffer(bytes: bytes)
                var parser = MQTTPacketParser(limits: .init(maxPacketSize: 64 * 1024))
                _ = try? parser.parse(&buffer)
            }
        }
    }

    @Test func handlerClosesOnOversizePacketBeforeItsBodyArrives() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(MQTTPacketDecoder(limits: .init(maxPacketSize: 100))))
        // Header announcing 1000 bytes: refused without waiting for them.
        #expect(throws: MQTTDecodingError.packetTooLarge(size: 1003, limit: 100)) {
            try channel.writeInbound(ByteBuffer(bytes: [0x30, 0xE8, 0x07]))
        }
        _ = try? channel.finish()
    }
}
