import Foundation
import NIOCore
import TestSupport
import XCTest

@testable import BrokerStore

enum Fixtures {
    static let device = SessionKey(owner: "tenant:device", clientID: "device-1")
    static let other = SessionKey(owner: "tenant:other", clientID: "device-1")

    static func session(_ key: SessionKey = device) -> StoredSession {
        StoredSession(
            key: key,
            subscriptions: [
                StoredSubscription(filter: "\(key.owner)/config", qos: .atLeastOnce),
                StoredSubscription(filter: "+/attrs", qos: .exactlyOnce, sharedGroup: "v2k"),
            ],
            expiryIntervalSeconds: 3600,
            disconnectedAtMillis: 1_700_000_000_123
        )
    }

    static func message(_ sequence: UInt64, payloadSize: Int = 16) -> StoredMessage {
        StoredMessage(
            sequence: sequence, topic: "tenant:device/config", payload: ByteBuffer(repeating: UInt8(sequence % 251), count: payloadSize),
            qos: .atLeastOnce, retain: false)
    }

    /// Incompressible bytes (8 at a time: byte-wise random generation is slow in debug builds).
    static func randomPayload(_ size: Int) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(size)
        for _ in 0..<(size / 8) { buffer.writeInteger(UInt64.random(in: 0...UInt64.max)) }
        return buffer
    }

    static func directory() throws -> String {
        try TemporaryDirectory.make(prefix: "broker-store").path
    }

    /// Bytes of the regular files directly in `path` (RocksDB keeps a flat directory).
    static func directorySize(_ path: String) throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: path).reduce(0) { total, name in
            let attributes = try FileManager.default.attributesOfItem(atPath: path + "/" + name)
            return total + ((attributes[.size] as? NSNumber)?.intValue ?? 0)
        }
    }
}
