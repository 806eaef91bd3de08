import Foundation
import NIOCore

/// The attrs a simulated device publishes, and how a copy of them is recognised downstream.
///
/// Every payload is a JSON object that starts with `"timestamp":<ms>` (what v2k-bridge puts in
/// `metadata.timestamp`) and `"lt":"<run>.<device>.<seq>.<sent µs>"`: the run (so that records of
/// other runs in the same topic are ignored), the device index and sequence number (the unique
/// message id that Kafka records are matched by) and the wall-clock send time in microseconds
/// (so latency needs no lookup). The template's own fields follow, then padding.
public struct PayloadFormat: Sendable {
    public let run: String
    private let templateBody: String
    private let paddingTarget: Int

    public init(run: String, template: String = "{}", payloadSize: Int = 0) {
        self.run = run
        self.templateBody = Self.templateBody(template) ?? ""
        self.paddingTarget = payloadSize
    }

    /// The inside of a JSON object text (nil when it is not one), e.g. `"a":1` for `{"a":1}`.
    public static func templateBody(_ template: String) -> String? {
        guard let data = template.data(using: .utf8),
            (try? JSONSerialization.jsonObject(with: data)) is [String: Any]
        else { return nil }
        let trimmed = template.trimmingCharacters(in: .whitespacesAndNewlines)
        return String(trimmed.dropFirst().dropLast()).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func marker(device: Int, sequence: UInt32, sentMicros: Int64) -> String {
        "\(run).\(device).\(sequence).\(sentMicros)"
    }

    public func payload(device: Int, sequence: UInt32, now: WallClock.Reading = WallClock.now()) -> ByteBuffer {
        var text = "{\"timestamp\":\(now.milliseconds),\"lt\":\"\(marker(device: device, sequence: sequence, sentMicros: now.microseconds))\""
        if !templateBody.isEmpty { text += "," + templateBody }
        let missing = paddingTarget - text.utf8.count - 1
        // `,"pad":""` is 9 bytes; only pad when there is room for it.
        if missing > 9 { text += ",\"pad\":\"" + String(repeating: "x", count: missing - 9) + "\"" }
        text += "}"
        return ByteBuffer(string: text)
    }
}

/// A marker found in a payload or Kafka record.
public struct MessageMarker: Sendable, Hashable {
    public var device: Int
    public var sequence: UInt32
    public var sentMicros: Int64

    public init(device: Int, sequence: UInt32, sentMicros: Int64) {
        self.device = device
        self.sequence = sequence
        self.sentMicros = sentMicros
    }

    /// Device and sequence in one number, for sets of millions of ids.
    public var key: UInt64 { UInt64(UInt32(truncatingIfNeeded: device)) << 32 | UInt64(sequence) }

    /// Finds `"lt":"<run>.<d>.<s>.<us>"` in JSON bytes, tolerating whitespace around the colon
    /// (a bridge may re-serialise the attrs); nil when absent or from another run.
    public static func find(in bytes: ByteBuffer, run: String) -> MessageMarker? {
        bytes.withUnsafeReadableBytes { find(in: $0, run: Array(run.utf8)) }
    }

    static func find(in bytes: UnsafeRawBufferPointer, run: [UInt8]) -> MessageMarker? {
        let key: [UInt8] = Array("\"lt\"".utf8)
        var index = 0
        let count = bytes.count
        search: while index + key.count <= count {
            for k in 0..<key.count where bytes[index + k] != key[k] {
                index += 1
                continue search
            }
            var i = index + key.count
            while i < count, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == UInt8(ascii: ":") { i += 1 }
            guard i < count, bytes[i] == UInt8(ascii: "\"") else {
                index += 1
                continue
            }
            i += 1
            guard i + run.count < count, run.indices.allSatisfy({ bytes[i + $0] == run[$0] }), bytes[i + run.count] == UInt8(ascii: ".") else { return nil }
            i += run.count + 1
            var numbers: [Int64] = []
            var current: Int64 = 0
            var digits = 0
            while i < count {
                let byte = bytes[i]
                if byte >= 0x30 && byte <= 0x39 {
                    current = current &* 10 &+ Int64(byte - 0x30)
                    digits += 1
                } else if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "\"") {
                    guard digits > 0 else { return nil }
                    numbers.append(current)
                    current = 0
                    digits = 0
                    if byte == UInt8(ascii: "\"") { break }
                } else {
                    return nil
                }
                i += 1
            }
            guard numbers.count == 3, let sequence = UInt32(exactly: numbers[1]) else { return nil }
            return MessageMarker(device: Int(numbers[0]), sequence: sequence, sentMicros: numbers[2])
        }
        return nil
    }
}

/// Wall-clock time: end-to-end latencies cross processes, so they need the shared clock.
public enum WallClock {
    public struct Reading: Sendable {
        public var microseconds: Int64
        public var milliseconds: Int64 { microseconds / 1000 }
    }

    public static func now() -> Reading {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Reading(microseconds: Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1000)
    }

    /// Microseconds from `sentMicros` to now, never negative (clocks of two hosts may disagree).
    public static func micros(since sentMicros: Int64) -> UInt64 {
        UInt64(max(0, now().microseconds - sentMicros))
    }
}
