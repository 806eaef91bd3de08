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
        let bytes = Array(value.readableBytesView)
        let root: JSONNode
        do {
            root = try JSONParser.parse(bytes)
        } catch {
            return .malformed(reason: "not JSON: \(error)")
        }
        guard root.kind == .object else { return .malformed(reason: "not a JSON object") }
        guard let event = root["event"]?.string else { return .malformed(reason: "event is missing or not a string") }
        guard events.contains(event) else { return .skip(event: event) }
        guard let meta = root["meta"], meta.kind == .object else { return .malformed(reason: "meta is missing or not an object") }
        guard let data = root["data"], data.kind == .object else { return .malformed(reason: "data is missing or not an object") }
        guard let tenant = meta["service"]?.string else { return .malformed(reason: "meta.service is missing or not a string") }
        guard tenant == topicTenant else {
            return .malformed(reason: "meta.service \"\(tenant.prefix(64))\" is not the tenant of topic \(topic)")
        }
        guard DojotNames.isValidTenant(tenant) else { return .malformed(reason: "meta.service \"\(tenant.prefix(64))\" is not a dojot tenant name") }
        guard let deviceID = data["id"]?.string else { return .malformed(reason: "data.id is missing or not a string") }
        guard DojotNames.isValidDeviceID(deviceID) else {
            return .malformed(reason: "data.id \"\(deviceID.prefix(64))\" is not a dojot device id")
        }
        guard let attrs = data["attrs"], attrs.kind == .object else {
            return .malformed(reason: "data.attrs is missing or not an object")
        }
        let payload = JSONParser.minified(bytes[attrs.range])
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
