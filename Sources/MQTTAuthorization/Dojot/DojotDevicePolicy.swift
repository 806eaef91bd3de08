/// A device may publish only to exactly `<identity>/attrs` and subscribe only to exactly
/// `<identity>/config`: no deeper levels, no wildcards, no `$share` (the identity holds no
/// `/`, `+` or `#`, so byte equality rules them all out).
struct DojotDevicePolicy: ConnectionPolicy {
    /// Precomputed once per connection so that the per-PUBLISH check is one byte comparison.
    let attrsTopic: String
    let configFilter: String

    init(identity: String) {
        attrsTopic = identity + "/attrs"
        configFilter = identity + "/config"
    }

    func publishDecision(topic: String) -> AccessDecision {
        UTF8Bytes.equal(topic, attrsTopic) ? .allowed : .denied(.deviceMayPublishOnlyToOwnAttrs)
    }

    func subscribeDecision(filter: String) -> AccessDecision {
        UTF8Bytes.equal(filter, configFilter) ? .allowed : .denied(.deviceMaySubscribeOnlyToOwnConfig)
    }
}
