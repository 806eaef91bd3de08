import NIOConcurrencyHelpers
import NIOCore

/// The listening channels and the open client connections, for counting and for shutdown.
/// Touched on accept and close only.
final class NIOLockedValueBoxChannels: Sendable {
    private struct State {
        var listeners: [any Channel] = []
        var clients: [ObjectIdentifier: any Channel] = [:]
    }

    private let state = NIOLockedValueBox(State())

    var clientCount: Int { self.state.withLockedValue { $0.clients.count } }

    func add(_ listener: any Channel) {
        self.state.withLockedValue { $0.listeners.append(listener) }
    }

    func addClient(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        self.state.withLockedValue { $0.clients[id] = channel }
        channel.closeFuture.whenComplete { _ in
            _ = self.state.withLockedValue { $0.clients.removeValue(forKey: id) }
        }
    }

    /// Listeners first (stop accepting), then clients.
    func removeAll() -> [any Channel] {
        self.state.withLockedValue { state in
            defer { state = State() }
            return state.listeners + Array(state.clients.values)
        }
    }
}
