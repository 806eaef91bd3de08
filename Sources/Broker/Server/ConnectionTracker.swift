import NIOConcurrencyHelpers
import NIOCore

/// The listening channels and the open client connections (with the serial of their verified
/// certificate), for the connection limit, live revocation and shutdown. Touched on accept,
/// handshake and close only.
final class ConnectionTracker: Sendable {
    private struct Client {
        var channel: any Channel
        var serial: String?
    }

    private struct State {
        var listeners: [any Channel] = []
        var clients: [ObjectIdentifier: Client] = [:]
    }

    private let state = NIOLockedValueBox(State())

    var clientCount: Int { self.state.withLockedValue { $0.clients.count } }

    func add(listener: any Channel) {
        self.state.withLockedValue { $0.listeners.append(listener) }
    }

    /// The connection's handler calls `remove(client:)` when it closes (no close-future
    /// callback per connection: it would cost memory on every idle device).
    func add(client channel: any Channel) {
        self.state.withLockedValue { $0.clients[ObjectIdentifier(channel)] = Client(channel: channel) }
    }

    func remove(client channel: any Channel) {
        _ = self.state.withLockedValue { $0.clients.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    func setSerial(_ serial: String, of channel: any Channel) {
        self.state.withLockedValue { $0.clients[ObjectIdentifier(channel)]?.serial = serial }
    }

    /// The connections whose certificate serial is in `serials`.
    func clients(withSerialIn serials: Set<String>) -> [(channel: any Channel, serial: String)] {
        guard !serials.isEmpty else { return [] }
        return self.state.withLockedValue { state in
            state.clients.values.compactMap { client in
                guard let serial = client.serial, serials.contains(serial) else { return nil }
                return (client.channel, serial)
            }
        }
    }

    func listenersAndClients() -> ([any Channel], [any Channel]) {
        self.state.withLockedValue { ($0.listeners, $0.clients.values.map(\.channel)) }
    }

    /// Listeners first (stop accepting), then clients.
    func removeAll() -> [any Channel] {
        self.state.withLockedValue { state in
            defer { state = State() }
            return state.listeners + Array(state.clients.values.map(\.channel))
        }
    }
}
