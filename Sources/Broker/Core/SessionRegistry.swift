import NIOConcurrencyHelpers

/// A session's name: the identity that made it and its client id. Two identities using the same
/// client id (devices of two tenants with the same device id, or an attacker borrowing another
/// device's id) have two sessions and never resume, read or end each other's.
struct SessionKey: Hashable, Sendable {
    /// The certificate CN on the TLS listener, the username on the plain one; nil without either.
    var identity: String?
    var clientID: String
}

/// (identity, client id) -> session, for CONNECT and session end only (never on the message path).
final class SessionRegistry: Sendable {
    struct Claim {
        /// The session the new connection gets.
        var session: Session
        /// A session the new connection replaces and that must end (clean-session takeover).
        var replaced: Session?
        /// The session existed and is resumed (CONNACK session present).
        var resumed: Bool
    }

    private let sessions = NIOLockedValueBox<[SessionKey: Session]>([:])

    /// Gives a connection its session: the existing one when it asks for a persistent session,
    /// otherwise a new one made by `makeSession`, replacing any existing one.
    func claim(_ key: SessionKey, cleanSession: Bool, makeSession: () -> Session) -> Claim {
        self.sessions.withLockedValue { sessions in
            if let existing = sessions[key], !cleanSession, !existing.cleanSession {
                return Claim(session: existing, replaced: nil, resumed: true)
            }
            let session = makeSession()
            let previous = sessions.updateValue(session, forKey: key)
            return Claim(session: session, replaced: previous, resumed: false)
        }
    }

    /// Removes the entry only if it is still this session (a newer one may have replaced it).
    func remove(_ session: Session) {
        self.sessions.withLockedValue { sessions in
            if sessions[session.key] === session { sessions.removeValue(forKey: session.key) }
        }
    }

    var count: Int { self.sessions.withLockedValue { $0.count } }

    func all() -> [Session] { self.sessions.withLockedValue { Array($0.values) } }
}
