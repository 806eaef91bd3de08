import Broker
import BrokerTestSupport
import MQTTAuthorization
import MQTTCore
import NIOConcurrencyHelpers
import NIOCore
import TestSupport

/// Byte-level building blocks for the conformance tests: packets the codec would refuse to encode.
enum Wire {
    /// A length-prefixed field.
    static func field(_ bytes: [UInt8]) -> [UInt8] {
        [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes
    }

    static func string(_ text: String) -> [UInt8] { self.field(Array(text.utf8)) }

    static func remainingLength(_ value: Int) -> [UInt8] {
        var value = value
        var bytes: [UInt8] = []
        repeat {
            var byte = UInt8(value % 128)
            value /= 128
            if value > 0 { byte |= 0x80 }
            bytes.append(byte)
        } while value > 0
        return bytes
    }

    /// A whole packet: the first byte (type and flags), then the body.
    static func packet(_ first: UInt8, _ body: [UInt8]) -> [UInt8] {
        [first] + self.remainingLength(body.count) + body
    }

    /// A CONNECT with the given flags and payload bytes (client id first, as the caller writes it).
    static func connect(name: String = "MQTT", level: UInt8 = 4, flags: UInt8 = 0x02, keepAlive: UInt16 = 60, payload: [UInt8]) -> [UInt8] {
        self.packet(0x10, self.string(name) + [level, flags, UInt8(keepAlive >> 8), UInt8(keepAlive & 0xFF)] + payload)
    }

    static func publish(topic: [UInt8], qos: UInt8 = 0, flags: UInt8 = 0, packetID: UInt16 = 1, payload: [UInt8] = []) -> [UInt8] {
        let id: [UInt8] = qos == 0 ? [] : [UInt8(packetID >> 8), UInt8(packetID & 0xFF)]
        return self.packet(0x30 | (qos << 1) | flags, self.field(topic) + id + payload)
    }

    static func subscribe(packetID: UInt16 = 1, flags: UInt8 = 0x02, filters: [([UInt8], UInt8)]) -> [UInt8] {
        self.packet(0x80 | flags, [UInt8(packetID >> 8), UInt8(packetID & 0xFF)] + filters.flatMap { self.field($0.0) + [$0.1] })
    }

    static func unsubscribe(packetID: UInt16 = 1, flags: UInt8 = 0x02, filters: [[UInt8]]) -> [UInt8] {
        self.packet(0xA0 | flags, [UInt8(packetID >> 8), UInt8(packetID & 0xFF)] + filters.flatMap { self.field($0) })
    }

    /// UTF-8 of a surrogate code point (U+D800), which well-formed UTF-8 never contains.
    static let surrogate: [UInt8] = [0xED, 0xA0, 0x80]
}

extension RawClient {
    /// The broker closes the connection without sending any packet first.
    func expectClosedWithoutPackets(timeout: Duration = .seconds(5)) async throws {
        switch try await self.next(timeout: timeout) {
        case .closed: return
        case .packet(let packet): throw TestFailure("expected the connection to close without a packet, got \(packet)")
        case nil: throw TestFailure("connection still open after \(timeout)")
        }
    }

    /// The next packet, which must be `expected`.
    func expect(_ expected: MQTTPacket, timeout: Duration = .seconds(5)) async throws {
        let event = try await self.next(timeout: timeout)
        guard case .packet(let packet) = event, packet == expected else {
            throw TestFailure("expected \(expected), got \(String(describing: event))")
        }
    }

    /// The next packet, whatever it is; a close or silence fails.
    func nextPacket(timeout: Duration = .seconds(5)) async throws -> MQTTPacket {
        guard let event = try await self.next(timeout: timeout) else { throw TestFailure("no packet within \(timeout)") }
        guard case .packet(let packet) = event else { throw TestFailure("connection closed, expected a packet") }
        return packet
    }

    /// The next CONNACK, after a CONNECT the test sent itself.
    func nextConnAck() async throws -> ConnAckPacket {
        let packet = try await self.nextPacket()
        guard case .connack(let connack) = packet else { throw TestFailure("expected CONNACK, got \(packet)") }
        return connack
    }

    /// The connection still answers PINGREQ.
    func expectAlive() async throws {
        try await self.send(.pingreq)
        try await self.expect(.pingresp)
    }

    func unsubscribe(_ filters: [String], id: UInt16 = 1) async throws {
        try await self.send(.unsubscribe(UnsubscribePacket(packetID: id, filters: filters)))
        try await self.expect(.unsuback(packetID: id))
    }
}

/// Allows everything, but refuses every CONNECT while `refusing` is set.
final class SwitchableAuthorizer: Authorizer {
    private let state = NIOLockedValueBox(false)

    var refusing: Bool {
        get { self.state.withLockedValue { $0 } }
        set { self.state.withLockedValue { $0 = newValue } }
    }

    func authorizeConnect(_ client: ClientIdentity) -> ConnectVerdict {
        self.refusing ? .refused(reason: "test refuses") : .allowed
    }

    func connectionPolicy(for client: ClientIdentity) -> any ConnectionPolicy {
        AllowAllAuthorizer().connectionPolicy(for: client)
    }
}

extension ByteBuffer {
    static func text(_ string: String) -> ByteBuffer { ByteBuffer(string: string) }
}

/// `withTestBroker` without the shutdown drain: tests that leave deliveries unacknowledged on
/// purpose end at once.
func withConformanceBroker<T>(
    limits: (inout BrokerLimits) -> Void = { _ in },
    authorizer: any Authorizer = AllowAllAuthorizer(),
    _ body: (TestBroker) async throws -> T
) async throws -> T {
    try await withTestBroker(limits: limits, configure: { $0.shutdownDrainMilliseconds = 0 }, authorizer: authorizer, body)
}
