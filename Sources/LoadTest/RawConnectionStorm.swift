import Histogram

#if canImport(Glibc)
    import Glibc
#endif

/// A plain-TCP connection storm from one thread with raw sockets and `poll`: no event-loop
/// framework and no MQTT library on the client side, so that the load generator costs far less
/// than the broker it measures (a NIO client tops out near the broker's own rate and hides the
/// difference between brokers).
///
/// `inFlight` connects (TCP, CONNECT, until CONNACK) are under way at a time, one slot each;
/// each one done opens the next. Connections stay open until `closeAll()`, so that the broker's
/// memory can be read.
public final class RawConnectionStorm {
    public struct Outcome: Sendable {
        public var connected: Int
        public var failures: Int
        public var seconds: Double
        public var latencyMicros: (p50: UInt64, p99: UInt64)
    }

    /// One connect under way.
    private struct Slot {
        var startedAt: UInt64 = 0
        var clientID = 0
        /// CONNACK bytes read so far.
        var received = 0
    }

    private let address: sockaddr_in
    private let keepAlive: UInt16
    private var open: [Int32] = []
    private var latency = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)

    /// - Parameters:
    ///   - host: an IPv4 address (the benchmarks use 127.0.0.1).
    ///   - keepAlive: the CONNECT's keep alive in seconds (0: none, no timer in the broker).
    public init(host: String, port: Int, keepAlive: UInt16 = 0) throws {
        self.keepAlive = keepAlive
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw RawStormError("not an IPv4 address: \(host)") }
        self.address = address
    }

    deinit { closeAll() }

    public func run(connections: Int, inFlight: Int, timeout: Duration) -> Outcome {
        let start = Self.now()
        let deadline = start + UInt64(timeout.components.seconds) * 1_000_000_000
        let width = max(1, min(inFlight, connections))
        var polled = [pollfd](repeating: pollfd(fd: -1, events: 0, revents: 0), count: width)
        var slots = [Slot](repeating: Slot(), count: width)
        var started = 0
        var connected = 0
        var failures = 0
        /// Fills slot `index` with the next connection, if any is left.
        func refill(_ index: Int) {
            polled[index].fd = -1
            while started < connections {
                started += 1
                slots[index] = Slot(startedAt: Self.now(), clientID: started - 1)
                if let (fd, connected) = connectSocket() {
                    // On loopback the connect usually completes at once: CONNECT goes out now.
                    if connected, !sendConnect(fd: fd, clientID: started - 1) {
                        close(fd)
                        failures += 1
                        continue
                    }
                    polled[index] = pollfd(fd: fd, events: Int16(connected ? POLLIN : POLLOUT), revents: 0)
                    return
                }
                failures += 1
            }
        }
        for index in 0..<width { refill(index) }
        while connected + failures < connections, Self.now() < deadline {
            guard poll(&polled, nfds_t(width), 100) > 0 else { continue }
            for index in 0..<width where polled[index].fd >= 0 && polled[index].revents != 0 {
                switch step(&polled[index], &slots[index]) {
                case .waiting:
                    continue
                case .connected:
                    connected += 1
                    open.append(polled[index].fd)
                case .failed:
                    failures += 1
                    close(polled[index].fd)
                }
                refill(index)
            }
        }
        for entry in polled where entry.fd >= 0 { close(entry.fd) }
        return Outcome(
            connected: connected, failures: failures, seconds: Double(Self.now() - start) / 1e9,
            latencyMicros: (latency.valueAtPercentile(50), latency.valueAtPercentile(99))
        )
    }

    /// Closes with a reset (linger 0): no TIME_WAIT on this side, so that storms run one after
    /// another do not run out of ephemeral ports (28 000 here) and slow down for that reason.
    public func closeAll() {
        var reset = linger(l_onoff: 1, l_linger: 0)
        for fd in open {
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, socklen_t(MemoryLayout<linger>.size))
            close(fd)
        }
        open.removeAll()
    }

    private enum Step { case waiting, connected, failed }

    /// A non-blocking socket with its connect started (`connected`: already done); nil when
    /// that failed at once. No TCP_NODELAY: CONNECT is the only write.
    private func connectSocket() -> (Int32, connected: Bool)? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = self.address
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 || errno == EINPROGRESS else {
            close(fd)
            return nil
        }
        return (fd, result == 0)
    }

    /// Writable: the TCP connect finished, send CONNECT. Readable: CONNACK (accepted) bytes.
    private func step(_ entry: inout pollfd, _ slot: inout Slot) -> Step {
        if entry.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 { return .failed }
        if entry.events == Int16(POLLOUT) {
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(entry.fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0, error == 0 else { return .failed }
            guard sendConnect(fd: entry.fd, clientID: slot.clientID) else { return .failed }
            entry.events = Int16(POLLIN)
            return .waiting
        }
        // CONNACK, accepted: 0x20 0x02 <session present> 0x00.
        var bytes: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
        let already = slot.received
        let count = withUnsafeMutableBytes(of: &bytes) { read(entry.fd, $0.baseAddress!, 4 - already) }
        guard count > 0 else { return count < 0 && errno == EAGAIN ? .waiting : .failed }
        let matches = withUnsafeBytes(of: bytes) { read in
            for offset in 0..<count {
                switch already + offset {
                case 0 where read[offset] != 0x20, 1 where read[offset] != 0x02, 3 where read[offset] != 0x00: return false
                default: continue
                }
            }
            return true
        }
        guard matches else { return .failed }
        slot.received += count
        guard slot.received == 4 else { return .waiting }
        latency.record((Self.now() - slot.startedAt) / 1000)
        return .connected
    }

    /// CONNECT, MQTT 3.1.1, clean session, client id `bench-storm-<n>`.
    private func sendConnect(fd: Int32, clientID n: Int) -> Bool {
        let id = Array("bench-storm-\(n)".utf8)
        var packet: [UInt8] = [0x10, UInt8(12 + id.count), 0, 4]
        packet += Array("MQTT".utf8) + [4, 0x02, UInt8(keepAlive >> 8), UInt8(keepAlive & 0xFF), UInt8(id.count >> 8), UInt8(id.count & 0xFF)] + id
        return packet.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == packet.count
    }

    private static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}

public struct RawStormError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
