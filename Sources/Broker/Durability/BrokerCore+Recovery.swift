import BrokerStore
import MQTTAuthorization
import NIOCore

/// What a start-up recovery rebuilt.
struct RecoverySummary: Sendable, CustomStringConvertible {
    var sessions = 0
    var messages = 0
    var retained = 0
    var expired = 0

    var description: String {
        "\(sessions) sessions, \(messages) messages, \(retained) retained, \(expired) expired sessions removed"
    }
}

extension BrokerCore {
    /// Rebuilds sessions, their subscriptions, queues and in-flight messages, and retained
    /// messages from the store, before the listeners open. Sessions are spread over the loops;
    /// each moves to its client's loop when it reconnects, as always.
    func recover(_ state: RecoveredState, nowMillis: Int64) async throws -> RecoverySummary {
        guard let durable = self.durable else { return RecoverySummary() }
        var summary = RecoverySummary()
        for retained in state.retained where self.retained.store(BrokerMessage(retained)) { summary.retained += 1 }

        var perLoop = Array(repeating: [(RecoveredSession, Int64?)](), count: self.loopCount)
        var expired: [StoreMutation] = []
        for (n, recovered) in state.sessions.values.enumerated() {
            let left = Self.expiryLeft(recovered.session, nowMillis: nowMillis)
            if let left, left <= 0 {
                expired.append(.deleteSession(recovered.session.key))
                continue
            }
            perLoop[n % self.loopCount].append((recovered, left))
            summary.sessions += 1
            summary.messages += recovered.messages.count
        }
        summary.expired = expired.count
        if !expired.isEmpty { try await durable.store.commit(expired) }

        // Sessions first (each on its loop), then every loop's copy of the subscription index.
        var sessions: [Session] = []
        for (index, loop) in self.loops.enumerated() {
            let recovered = perLoop[index]
            let router = self.routers[index]
            sessions += try await loop.submit {
                recovered.map { recovered, left in
                    let session = Session(
                        key: recovered.session.key, cleanSession: false, location: index,
                        limits: self.limits, metrics: self.metrics, store: durable
                    )
                    session.restore(recovered)
                    self.registry.insertRecovered(session)
                    self.scheduleExpiry(of: session, on: router.value, in: left)
                    return session
                }
            }.get()
        }
        // With the read filters of the owner's rights now: messages for an offline session must
        // not pass rules a deny line takes away, before its client is back.
        let subscriptions = sessions.map { session in
            let policy = self.authorizer.connectionPolicy(
                for: ClientIdentity(
                    identity: session.key.owner.isEmpty ? nil : session.key.owner, clientID: session.key.clientID, viaVerifiedCertificate: true))
            return (session, session.subscriptions.map { ($0.key, $0.value, policy.readFilter(forSubscription: $0.key)) })
        }
        for (index, loop) in self.loops.enumerated() {
            let router = self.routers[index]
            try await loop.submit {
                for (session, filters) in subscriptions {
                    for (filter, qos, readFilter) in filters {
                        router.value.applySubscribe(session, filter: filter, qos: qos, readFilter: readFilter)
                    }
                }
            }.get()
        }
        self.metrics.sessions.set(Double(self.registry.count))
        return summary
    }

    /// Milliseconds until the session expires; nil: never. A session that was online at the
    /// crash counts from now.
    private static func expiryLeft(_ session: StoredSession, nowMillis: Int64) -> Int64? {
        guard session.expiryIntervalSeconds != .max else { return nil }
        let since = session.disconnectedAtMillis ?? nowMillis
        return since + Int64(session.expiryIntervalSeconds) * 1000 - nowMillis
    }
}
