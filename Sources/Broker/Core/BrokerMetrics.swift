import CoreMetrics
import MQTTCore
import X509

/// Every metric the broker reports, created once at start-up (never per message). A class, so
/// that sessions and decoders hold one reference instead of a copy of every metric.
final class BrokerMetrics: Sendable {
    let connectionsActive = Meter(label: "broker_connections_active")
    let connectionsAccepted = Counter(label: "broker_connections_accepted_total")
    let connectionsRefused: @Sendable (String) -> Counter
    let connects = Counter(label: "broker_connects_total")
    let protocolErrors = Counter(label: "broker_protocol_errors_total")
    let keepaliveTimeouts = Counter(label: "broker_keepalive_timeouts_total")
    let connectTimeouts = Counter(label: "broker_connect_timeouts_total")
    let takeovers = Counter(label: "broker_session_takeovers_total")
    let lifetimeCloses = Counter(label: "broker_lifetime_closes_total")
    let sessionExpiries = Counter(label: "broker_session_expiries_total")
    let bytesIn = Counter(label: "broker_bytes_received_total")
    let bytesOut = Counter(label: "broker_bytes_sent_total")
    private let packetsIn: [Counter]
    private let packetsOut: [Counter]
    private let messagesInByQoS: [Counter]
    private let messagesOutByQoS: [Counter]
    let aclDeniedPublish = Counter(label: "broker_acl_denied_total", dimensions: [("action", "publish")])
    let aclDeniedSubscribe = Counter(label: "broker_acl_denied_total", dimensions: [("action", "subscribe")])
    let aclDeniedConnect = Counter(label: "broker_acl_denied_total", dimensions: [("action", "connect")])
    let queueDrops = Counter(label: "broker_queue_dropped_total")
    let sharedRedeliveries = Counter(label: "broker_shared_redelivered_total")
    let sharedUndeliverable = Counter(label: "broker_shared_undeliverable_total")
    let publisherPauses = Counter(label: "broker_publisher_pauses_total")
    let retainedMessages = Meter(label: "broker_retained_messages")
    let retainedBytes = Meter(label: "broker_retained_bytes")
    let retainedRefused = Counter(label: "broker_retained_refused_total")
    let sessionsEvicted = Counter(label: "broker_sessions_evicted_total")
    let sessions = Meter(label: "broker_sessions")
    let storeMutations = Counter(label: "broker_store_writes_total")
    let storeCommitFailures = Counter(label: "broker_store_commit_failures_total")
    let storeRecoverySeconds = Meter(label: "broker_store_recovery_seconds")
    let handshakes = Counter(label: "broker_tls_handshakes_total")
    let revocationCloses = Counter(label: "broker_revocation_closes_total")
    let tlsReloads = Counter(label: "broker_tls_reloads_total")
    let tlsReloadFailures = Counter(label: "broker_tls_reload_failures_total")
    let aclReloads = Counter(label: "broker_acl_reloads_total")
    let aclReloadFailures = Counter(label: "broker_acl_reload_failures_total")
    /// Unix time of the CRL in force's nextUpdate (0: no CRL or none set): once it passes,
    /// OpenSSL refuses every handshake, so alert on it well before.
    let crlNextUpdate = Meter(label: "broker_tls_crl_next_update_seconds")
    let certificateNotAfter = Meter(label: "broker_tls_certificate_not_after_seconds")

    /// Handshakes refused, by reason (revoked, expired, unknownIssuer, no_certificate, handshake, ...).
    func handshakeFailure(_ reason: String) {
        Counter(label: "broker_tls_handshake_failures_total", dimensions: [("reason", reason)]).increment()
    }

    /// Label values known in advance are exported as 0 from the start, so that a dashboard or
    /// alert on them has a series before the first refusal.
    static let knownRefusals = ["max_connections", "max_connections_per_address"]
    static let knownHandshakeFailures =
        ["handshake", "no_certificate", "several_common_names", "ca_certificate"]
        + VerificationFailure.Kind.allCases.map(\.rawValue)

    init() {
        self.connectionsRefused = { reason in Counter(label: "broker_connections_refused_total", dimensions: [("reason", reason)]) }
        for reason in Self.knownRefusals { _ = self.connectionsRefused(reason) }
        for reason in Self.knownHandshakeFailures {
            _ = Counter(label: "broker_tls_handshake_failures_total", dimensions: [("reason", reason)])
        }
        let types = PacketType.allCases
        self.packetsIn =
            [Counter(label: "broker_packets_received_total", dimensions: [("type", "invalid")])]
            + types.map { Counter(label: "broker_packets_received_total", dimensions: [("type", $0.name)]) }
        self.packetsOut =
            [Counter(label: "broker_packets_sent_total", dimensions: [("type", "invalid")])]
            + types.map { Counter(label: "broker_packets_sent_total", dimensions: [("type", $0.name)]) }
        self.messagesInByQoS = QoS.allCases.map { Counter(label: "broker_messages_received_total", dimensions: [("qos", "\($0.rawValue)")]) }
        self.messagesOutByQoS = QoS.allCases.map { Counter(label: "broker_messages_sent_total", dimensions: [("qos", "\($0.rawValue)")]) }
    }

    /// Adds a loop's tally to the counters and zeroes it.
    func add(_ tally: inout TrafficTally) {
        tally.packetsIn.drain { self.packetsIn[$0].increment(by: $1) }
        tally.packetsOut.drain { self.packetsOut[$0].increment(by: $1) }
        tally.messagesIn.drain { self.messagesInByQoS[$0].increment(by: $1) }
        tally.messagesOut.drain { self.messagesOutByQoS[$0].increment(by: $1) }
        if tally.bytesIn > 0 {
            self.bytesIn.increment(by: tally.bytesIn)
            tally.bytesIn = 0
        }
        if tally.bytesOut > 0 {
            self.bytesOut.increment(by: tally.bytesOut)
            tally.bytesOut = 0
        }
    }
}
