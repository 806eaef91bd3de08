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
/// `{"event":"configure","meta":{"service":T},"data":{"id":D,"attrs":A}}`.
struct DeviceManagerRecordDecoder: Sendable {
    let events: Set<String>
    let maxPayloadBytes: Int

    func decode(_ value: ByteBuffer) -> RecordAction {
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
        if let problem = Self.topicLevelProblem(tenant) { return .malformed(reason: "meta.service \(problem)") }
        guard let deviceID = data["id"]?.string else { return .malformed(reason: "data.id is missing or not a string") }
        if let problem = Self.topicLevelProblem(deviceID) { return .malformed(reason: "data.id \(problem)") }
        guard let attrs = data["attrs"], attrs.kind == .object else {
            return .malformed(reason: "data.attrs is missing or not an object")
        }
        let payload = JSONParser.minified(bytes[attrs.range])
        // A PUBLISH larger than the broker accepts would close the connection at every retry.
        guard payload.count <= maxPayloadBytes else {
            return .malformed(reason: "data.attrs is \(payload.count) bytes, more than \(maxPayloadBytes)")
        }
        let configuration = DeviceConfiguration(tenant: tenant, deviceID: deviceID, payload: payload)
        guard configuration.topic.utf8.count <= Int(UInt16.max) else { return .malformed(reason: "the topic is too long") }
        return .publish(configuration)
    }

    /// Tenant and device id become one topic level `T:D` that names one device: no level
    /// separator, wildcard, second `:` or NUL that would aim the message elsewhere.
    static func topicLevelProblem(_ text: String) -> String? {
        if text.isEmpty { return "is empty" }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "/", "+", "#", ":", "\u{0}": return "contains '\(scalar == "\u{0}" ? "\\0" : String(scalar))'"
            default: continue
            }
        }
        return nil
    }
}
