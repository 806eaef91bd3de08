import MQTTCore

/// The k2v-bridge writes device configuration: it may publish to `<anything>/config` (exactly two
/// levels, the first non-empty), and it may not subscribe.
struct DojotK2VServicePolicy: ConnectionPolicy {
    private static let config = "config".utf8

    func publishDecision(topic: String) -> AccessDecision {
        guard Topic.isValidName(topic) else { return .denied(.invalidTopic) }
        let utf8 = topic.utf8
        // One scan, no allocation: a single '/', something before it, "config" after it.
        guard let slash = utf8.firstIndex(of: UTF8Bytes.slash), slash != utf8.startIndex else {
            return .denied(.k2vServiceTopicNotAllowed)
        }
        let rest = utf8[utf8.index(after: slash)...]
        return rest.elementsEqual(Self.config) ? .allowed : .denied(.k2vServiceTopicNotAllowed)
    }

    func subscribeDecision(filter: String) -> AccessDecision { .denied(.k2vServiceMayNotSubscribe) }
}
