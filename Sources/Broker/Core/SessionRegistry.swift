import NIOConcurrencyHelpers

/// Client id -> session, for CONNECT and session end only (never on the message path).
final class SessionRegistry: Sendable {
    struct Claim {
        /// The session the new connection gets.
        var session: Session
        /// A session the new connection replaces and that must end (clean-session takeover).
        var replaced: Session?
        /// The session existed and is resumed (CONNACK session present).
        var resumed: Bool
    }

    private let sessions = NIOLockedValueBox<[String: Session]>([:])

    /// Gives a connection its session: the existing one when it asks for a persistent session,
    /// otherwise a new one made by `makeSession`, replacing any existing one.
    func claim(clientID: String, cleanSession: Bool, makeSession: () -> Session) -> Claim {
        self.sessions.withLockedValue { sessions in
            if let existing = sessions[clientID], !cleanSession, !existing.cleanSession {
                return Claim(session: existing, replaced: nil, resumed: true)
            }
            let session = makeSession()
            let previous = sessions.updateValue(session, forKey: clientID)
            return Claim(session: session, replaced: previous, resumed: false)
        }
    }

    /// Removes the entry only if it is still this session (a newer one may have replaced it).
    func remove(_ session: Session) {
        self.sessions.withLockedValue { sessions in
            if sessions[session.clientID] === session { sessions.removeValue(forKey: session.clientID) }
        }
    }

    var count: Int { self.sessions.withLockedValue { $0.count } }

    func all() -> [Session] { self.sessions.withLockedValue { Array($0.values) } }
}
