import NIOConcurrencyHelpers
import NIOCore

/// The listening channels and the open client connections (with the serial of their verified
/// certificate), for the connection limit, live revocation and shutdown. Touched on accept,
/// handshake and close only.
final class ConnectionTracker: Sendable {
    private struct Client {
        var channel: any Channel
        var address: AddressKey?
        var serial: String?
    }

    private struct State {
        var listeners: [any Channel] = []
        var clients: [ObjectIdentifier: Client] = [:]
        /// Open connections per remote IP address, for the per-address cap.
        var perAddress: [AddressKey: Int] = [:]
    }

    /// Why a connection was not admitted (a metric label).
    enum Refusal: String {
        case maxConnections = "max_connections"
        case maxConnectionsPerAddress = "max_connections_per_address"
    }

    private let state = NIOLockedValueBox(State())

    var listenerCount: Int { self.state.withLockedValue { $0.listeners.count } }

    func add(listener: any Channel) {
        self.state.withLockedValue { $0.listeners.append(listener) }
    }

    /// Records a new connection unless it would pass either cap (0: no cap); checked and
    /// counted under one lock, so concurrent accepts on several loops cannot overshoot. The
    /// connection's handler calls `remove(client:)` when it closes (no close-future callback
    /// per connection: it would cost memory on every idle device).
    func admit(client channel: any Channel, maxTotal: Int, maxPerAddress: Int) -> Refusal? {
        let address = channel.remoteAddress.flatMap(AddressKey.init)
        return self.state.withLockedValue { state in
            if maxTotal > 0, state.clients.count >= maxTotal { return .maxConnections }
            if let address {
                let open = state.perAddress[address, default: 0]
                if maxPerAddress > 0, open >= maxPerAddress { return .maxConnectionsPerAddress }
                state.perAddress[address] = open + 1
            }
            state.clients[ObjectIdentifier(channel)] = Client(channel: channel, address: address)
            return nil
        }
    }

    func remove(client channel: any Channel) {
        self.state.withLockedValue { state in
            guard let client = state.clients.removeValue(forKey: ObjectIdentifier(channel)), let address = client.address else { return }
            let open = state.perAddress[address, default: 1] - 1
            state.perAddress[address] = open > 0 ? open : nil
        }
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

/// A remote IP address as plain bits: what the per-address cap counts by, without formatting
/// the address as text (inet_ntop) on every accept.
struct AddressKey: Hashable, Sendable {
    private let isIPv6: Bool
    private let high: UInt64
    private let low: UInt64

    init?(_ address: SocketAddress) {
        switch address {
        case .v4(let v4):
            (isIPv6, high, low) = (false, 0, UInt64(v4.address.sin_addr.s_addr))
        case .v6(let v6):
            var bits = v6.address.sin6_addr
            (isIPv6, high, low) = withUnsafeBytes(of: &bits) { bytes in
                // An IPv4-mapped address (::ffff:a.b.c.d, on a dual-stack listener) is that IPv4 host.
                if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
                    return (false, 0, UInt64(bytes.loadUnaligned(fromByteOffset: 12, as: UInt32.self)))
                }
                return (true, bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self), bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            }
        case .unixDomainSocket:
            return nil
        }
    }
}
