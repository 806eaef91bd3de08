import MQTTAuthorization
import MQTTCore

/// Who can receive what matches a filter, as one loop's copy of the subscription index holds it.
enum SubscriberKey: Hashable {
    case session(ObjectIdentifier)
    case group(String)
}

enum SubscriberEntry {
    /// With a read filter when the subscription is only partly readable (acl-file deny rules).
    case session(Session, QoS, TopicReadFilter?)
    case group(SharedGroup)
}

/// The members of one shared subscription `$share/<group>/<filter>`, in one loop's copy of the
/// index. Each loop keeps its own round-robin cursor: the loops together still spread evenly.
final class SharedGroup {
    struct Member {
        var session: Session
        var qos: QoS
        var readFilter: TopicReadFilter?

        func mayRead(_ topic: String) -> Bool { readFilter?.allows(topic: topic) ?? true }
    }

    let key: SharedGroupKey
    private(set) var members: [Member] = []
    private var cursor = 0

    init(key: SharedGroupKey) { self.key = key }

    var isEmpty: Bool { self.members.isEmpty }

    func upsert(_ session: Session, qos: QoS, readFilter: TopicReadFilter?) {
        if let index = self.members.firstIndex(where: { $0.session === session }) {
            self.members[index].qos = qos
            self.members[index].readFilter = readFilter
        } else {
            self.members.append(Member(session: session, qos: qos, readFilter: readFilter))
        }
    }

    func remove(_ session: Session) {
        self.members.removeAll { $0.session === session }
    }

    /// Whether some online member has room in its queue.
    func hasRoom(maxQueued: Int) -> Bool {
        self.members.contains { $0.session.queuedCount.load(ordering: .relaxed) < maxQueued }
    }

    /// The next member in turn, preferring an online one with room in its queue, then any online
    /// one, then any (a persistent session keeps the message until it is back).
    /// Members that may not read `topic` are passed over.
    /// - Returns: the member and whether its queue is full (then every online member's is).
    func next(for topic: String, excluding excluded: Session? = nil, maxQueued: Int) -> (member: Member, full: Bool)? {
        let count = self.members.count
        guard count > 0 else { return nil }
        var fallbackOnline: Int?
        var fallbackAny: Int?
        for step in 0..<count {
            let index = (self.cursor + step) % count
            let session = self.members[index].session
            if session === excluded || !self.members[index].mayRead(topic) { continue }
            if session.online.load(ordering: .relaxed) {
                if session.queuedCount.load(ordering: .relaxed) < maxQueued {
                    self.cursor = index + 1
                    return (self.members[index], false)
                }
                if fallbackOnline == nil { fallbackOnline = index }
            } else if fallbackAny == nil {
                fallbackAny = index
            }
        }
        guard let chosen = fallbackOnline ?? fallbackAny else { return nil }
        self.cursor = chosen + 1
        let member = self.members[chosen]
        return (member, member.session.queuedCount.load(ordering: .relaxed) >= maxQueued)
    }
}
