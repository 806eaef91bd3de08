import MQTTCore

/// The v2k-bridge reads device data: it may subscribe to `+/attrs` or `<tenant>:<device>/attrs`,
/// plain or as `$share/<group>/...`; nothing broader (no `#`, no `+/+`), and it may not publish.
struct DojotV2KServicePolicy: ConnectionPolicy {
    func publishDecision(topic: String) -> AccessDecision { .denied(.v2kServiceMayNotPublish) }

    func subscribeDecision(filter: String) -> AccessDecision {
        let inner: String
        do {
            if let shared = try SharedFilter.parse(filter) {
                inner = shared.filter
            } else {
                try Topic.validateFilter(filter)
                inner = filter
            }
        } catch {
            return .denied(.invalidTopic)
        }
        let levels = inner.utf8.split(separator: UTF8Bytes.slash, omittingEmptySubsequences: false)
        guard levels.count == 2, levels[1].elementsEqual("attrs".utf8) else {
            return .denied(.v2kServiceFilterNotAllowed)
        }
        let first = levels[0]
        let firstIsWildcard = first.elementsEqual(CollectionOfOne(UTF8Bytes.plus))
        return firstIsWildcard || UTF8Bytes.isDeviceShaped(Substring(first))
            ? .allowed : .denied(.v2kServiceFilterNotAllowed)
    }
}
