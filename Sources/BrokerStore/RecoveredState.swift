/// Everything a recovery read, gathered per session: what the broker rebuilds before listening.
public struct RecoveredSession: Sendable {
    public var session: StoredSession
    /// In sequence order.
    public var messages: [StoredMessage] = []
    public var inboundQoS2: Set<UInt16> = []

    /// The sequence to give the session's next message.
    public var nextSequence: UInt64 { (messages.last?.sequence ?? 0) + 1 }
}

public struct RecoveredState: Sendable {
    public var sessions: [SessionKey: RecoveredSession] = [:]
    public var retained: [RetainedMessage] = []
    public var report = RecoveryReport()
}

extension BrokerStore {
    /// `recover(_:)` gathered into one value.
    public func recoverAll() throws -> RecoveredState {
        var state = RecoveredState()
        // Messages arrive grouped by session: collect a session's run locally, store it once.
        var currentKey: SessionKey?
        var currentMessages: [StoredMessage] = []
        func flushMessages() {
            if let key = currentKey { state.sessions[key]?.messages.append(contentsOf: currentMessages) }
            currentMessages.removeAll(keepingCapacity: true)
        }
        state.report = try recover { record in
            switch record {
            case .session(let session):
                state.sessions[session.key] = RecoveredSession(session: session)
            case .message(let key, let message):
                if key != currentKey {
                    flushMessages()
                    currentKey = key
                }
                currentMessages.append(message)
            case .inboundQoS2(let key, let packetID):
                state.sessions[key]?.inboundQoS2.insert(packetID)
            case .retained(let retained):
                state.retained.append(retained)
            }
        }
        flushMessages()
        return state
    }
}
