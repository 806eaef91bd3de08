import BrokerStore
import NIOConcurrencyHelpers

/// A session's name is the store's `SessionKey`: the identity that made it (owner) and its client
/// id. Two identities using the same client id (devices of two tenants with the same device id, or
/// an attacker borrowing another device's id) have two sessions and never resume, read or end
/// each other's.
extension SessionKey {
    /// - Parameter identity: the certificate CN on the TLS listener, the username on the plain
    ///   one; nil without either (stored as "").
    init(identity: String?, clientID: String) {
        self.init(owner: identity ?? "", clientID: clientID)
    }
}

/// (identity, client id) -> session, for CONNECT and session end only (never on the message path).
final class SessionRegistry: Sendable {
    struct Claim {
        /// The session the new connection gets.
        var session: Session
        /// Sessions that must end: the one the new connection replaces (clean-session takeover),
        /// and the identity's oldest offline one when the identity is at its session limit.
        var ended: [Session]
        /// The session existed and is resumed (CONNACK session present).
        var resumed: Bool
    }

    fileprivate struct State {
        var sessions: [SessionKey: Session] = [:]
        /// Each identity's persistent sessions' client ids, oldest first (bounded by the
        /// per-identity limit).
        var clientIDs: [String: [String]] = [:]
    }

    private let state = NIOLockedValueBox(State())
    private let maxPerIdentity: Int

    init(maxSessionsPerIdentity: Int = .max) {
        self.maxPerIdentity = maxSessionsPerIdentity
    }

    /// Gives a connection its session: the existing one when it asks for a persistent session,
    /// otherwise a new one made by `makeSession`, replacing any existing one. Nil when the identity
    /// already holds its limit of persistent sessions and all of them are online. Clean sessions
    /// do not count: they end with their connection (connection limits bound those).
    func claim(_ key: SessionKey, cleanSession: Bool, makeSession: () -> Session) -> Claim? {
        self.state.withLockedValue { state in
            let existing = state.sessions[key]
            if let existing, !cleanSession, !existing.cleanSession {
                return Claim(session: existing, ended: [], resumed: true)
            }
            var ended: [Session] = []
            let replacesPersistent = existing.map { !$0.cleanSession } ?? false
            if !cleanSession, !replacesPersistent, state.clientIDs[key.owner, default: []].count >= self.maxPerIdentity {
                guard let oldest = state.oldestOffline(of: key.owner) else { return nil }
                state.forget(oldest.key)
                ended.append(oldest)
            }
            if let existing {
                state.forget(key)
                ended.append(existing)
            }
            let session = makeSession()
            state.sessions[key] = session
            if !cleanSession { state.clientIDs[key.owner, default: []].append(key.clientID) }
            return Claim(session: session, ended: ended, resumed: false)
        }
    }

    /// Removes the entry only if it is still this session (a newer one may have replaced it).
    func remove(_ session: Session) {
        self.state.withLockedValue { state in
            if state.sessions[session.key] === session { state.forget(session.key) }
        }
    }

    /// A session read from the store at start-up (before any connection).
    func insertRecovered(_ session: Session) {
        self.state.withLockedValue { state in
            state.sessions[session.key] = session
            state.clientIDs[session.key.owner, default: []].append(session.key.clientID)
        }
    }

    var count: Int { self.state.withLockedValue { $0.sessions.count } }

    func all() -> [Session] { self.state.withLockedValue { Array($0.sessions.values) } }
}

extension SessionRegistry.State {
    fileprivate mutating func forget(_ key: SessionKey) {
        self.sessions.removeValue(forKey: key)
        self.clientIDs[key.owner]?.removeAll { $0 == key.clientID }
        if self.clientIDs[key.owner]?.isEmpty == true { self.clientIDs.removeValue(forKey: key.owner) }
    }

    fileprivate func oldestOffline(of owner: String) -> Session? {
        for clientID in self.clientIDs[owner] ?? [] {
            if let session = self.sessions[SessionKey(owner: owner, clientID: clientID)],
                !session.online.load(ordering: .acquiring)
            {
                return session
            }
        }
        return nil
    }
}
