import JSONBytes
import MQTTCore
import NIOCore

/// The configuration a device must receive: `payload` to `<tenant>:<deviceID>/config`.
struct DeviceConfiguration: Sendable, Equatable {
    let tenant: String
    let deviceID: String
    /// `data.attrs`, compact JSON in the producer's key order.
    let payload: [UInt8]

    var topic: String { "\(tenant):\(deviceID)/config" }
}

/// What to do with one device-manager record.
enum RecordAction: Sendable, Equatable {
    case publish(DeviceConfiguration)
    /// An event the bridge does not forward (not in `K2V_EVENTS`).
    case skip(event: String)
    /// Not a usable device-manager notification; `reason` says why, for the log line.
    case malformed(reason: String)
}

/// Reads device-manager notifications:
/// `{"event":"configure","meta":{"service":T},"data":{"id":D,"attrs":A}}` from `T.<suffix>`.
struct DeviceManagerRecordDecoder: Sendable {
    let events: Set<String>
    let maxPayloadBytes: Int
    /// The broker's packet limit: a larger PUBLISH would close the bridge's connection at every
    /// retry and hold back every record behind it.
    var maxPacketBytes = 262_144
    var qos = QoS.atLeastOnce
    /// `.<suffix>` of the consumed topics; what comes before it is the tenant.
    var topicSuffix = ".dojot.device-manager.device"

    /// - Parameter topic: the Kafka topic the record came from; its tenant is the only one the
    ///   record may configure (a producer of one tenant's topic cannot reach another's devices).
    func decode(_ value: ByteBuffer, topic: String) -> RecordAction {
        guard topic.hasSuffix(topicSuffix), topic.utf8.count > topicSuffix.utf8.count else {
            return .malformed(reason: "topic \(topic) does not end in \(topicSuffix)")
        }
        let topicTenant = String(topic.dropLast(topicSuffix.count))
        return value.withUnsafeReadableBytes { decode(document: $0, topic: topic, topicTenant: topicTenant) }
    }

    /// As the original bridge's parser: deeper nesting is refused.
    static let maximumDepth = 100

    private func decode(document bytes: UnsafeRawBufferPointer, topic: String, topicTenant: String) -> RecordAction {
        let root: JSONValue
        switch JSONScanner.scanObject(bytes, maximumDepth: Self.maximumDepth) {
        case .success(let scanned): root = scanned.object
        case .failure(let failure) where failure.reason == .notAnObject: return .malformed(reason: "not a JSON object")
        case .failure(let failure): return .malformed(reason: "not JSON: \(failure)")
        }
        guard let event = root.member("event", in: bytes)?.string(in: bytes) else { return .malformed(reason: "event is missing or not a string") }
        guard events.contains(event) else { return .skip(event: event) }
        guard let meta = root.member("meta", in: bytes), meta.kind == .object else { return .malformed(reason: "meta is missing or not an object") }
        guard let data = root.member("data", in: bytes), data.kind == .object else { return .malformed(reason: "data is missing or not an object") }
        guard let tenant = meta.member("service", in: bytes)?.string(in: bytes) else { return .malformed(reason: "meta.service is missing or not a string") }
        guard tenant == topicTenant else {
            return .malformed(reason: "meta.service \"\(tenant.prefix(64))\" is not the tenant of topic \(topic)")
        }
        guard DojotNames.isValidTenant(tenant) else { return .malformed(reason: "meta.service \"\(tenant.prefix(64))\" is not a dojot tenant name") }
        guard let deviceID = data.member("id", in: bytes)?.string(in: bytes) else { return .malformed(reason: "data.id is missing or not a string") }
        guard DojotNames.isValidDeviceID(deviceID) else {
            return .malformed(reason: "data.id \"\(deviceID.prefix(64))\" is not a dojot device id")
        }
        guard let attrs = data.member("attrs", in: bytes), attrs.kind == .object else {
            return .malformed(reason: "data.attrs is missing or not an object")
        }
        let payload = JSONMinifier.minified(UnsafeRawBufferPointer(rebasing: bytes[attrs.range]))
        guard payload.count <= maxPayloadBytes else {
            return .malformed(reason: "data.attrs is \(payload.count) bytes, more than \(maxPayloadBytes)")
        }
        let configuration = DeviceConfiguration(tenant: tenant, deviceID: deviceID, payload: payload)
        let packetBytes = PublishPacket.encodedSize(topicBytes: configuration.topic.utf8.count, payloadBytes: payload.count, qos: qos)
        guard packetBytes <= maxPacketBytes else {
            return .malformed(reason: "the PUBLISH would be \(packetBytes) bytes, more than the broker's \(maxPacketBytes)")
        }
        return .publish(configuration)
    }
}
