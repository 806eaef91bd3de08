import MQTTCore
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// Connects simulated clients to one broker and adds up what they measure.
public final class LoadRunner: Sendable {
    public struct Target: Sendable {
        public var host: String
        public var port: Int
        public var tls: TLSConfiguration?

        public init(host: String, port: Int, tls: TLSConfiguration? = nil) {
            self.host = host
            self.port = port
            self.tls = tls
        }
    }

    let target: Target
    let group: any EventLoopGroup
    let stats: [NIOLoopBound<LoopStats>]
    private let sslContext: NIOSSLContext?

    public init(target: Target, group: any EventLoopGroup) throws {
        self.target = target
        self.group = group
        self.sslContext = try target.tls.map { try NIOSSLContext(configuration: $0) }
        self.stats = try group.makeIterator().map { loop in
            try loop.submit { NIOLoopBound(LoopStats(), eventLoop: loop) }.wait()
        }
    }

    /// Opens the clients' connections, at most `perSecond` new ones a second (nil: no pacing).
    /// Returns when every connection attempt has been made (not when all CONNACKs are in).
    public func connect(_ clients: [ClientSpec], perSecond: Double? = nil) async throws {
        let start = ContinuousClock.now
        for (n, spec) in clients.enumerated() {
            if let rate = perSecond {
                let due = start + .nanoseconds(Int64(Double(n) / rate * 1_000_000_000))
                if due > ContinuousClock.now { try await Task.sleep(until: due) }
            }
            _ = self.open(spec)
        }
    }

    /// Opens `clients` with at most `inFlight` connects (TCP, TLS, CONNECT until CONNACK) under
    /// way: each one that is over opens the next, as an epoll load generator does. Returns when
    /// every client's connect is over.
    public func connect(_ clients: [ClientSpec], inFlight: Int) async {
        guard !clients.isEmpty else { return }
        let queue = NIOLockedValueBox((next: 0, settled: 0, done: nil as CheckedContinuation<Void, Never>?))
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            queue.withLockedValue { $0.done = done }
            @Sendable func openNext() {
                let index: Int? = queue.withLockedValue { state in
                    guard state.next < clients.count else { return nil }
                    defer { state.next += 1 }
                    return state.next
                }
                guard let index else { return }
                self.open(clients[index]) {
                    let finished = queue.withLockedValue { state -> CheckedContinuation<Void, Never>? in
                        state.settled += 1
                        guard state.settled == clients.count else { return nil }
                        defer { state.done = nil }
                        return state.done
                    }
                    finished?.resume()
                    openNext()
                }
            }
            for _ in 0..<min(max(inFlight, 1), clients.count) { openNext() }
        }
    }

    @discardableResult
    private func open(_ spec: ClientSpec, onSettled: (@Sendable () -> Void)? = nil) -> EventLoopFuture<any Channel> {
        let loop = self.group.next()
        let stats = self.stats.first { $0.eventLoop === loop }!
        let sslContext = spec.sslContext ?? self.sslContext
        let host = self.target.host
        return ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        let handler = try NIOSSLClientHandler(context: sslContext, serverHostname: host.first?.isLetter == true ? host : nil)
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                    try channel.pipeline.syncOperations.addHandlers(
                        MessageToByteHandler(MQTTPacketEncoder()),
                        ByteToMessageHandler(MQTTPacketDecoder(protocolVersion: .v3_1_1)),
                        SimulatedClient(spec: spec, stats: stats.value, onSettled: onSettled)
                    )
                }
            }
            .connect(host: self.target.host, port: self.target.port)
            .map { $0 as any Channel }
            .always { result in
                if case .failure = result {
                    stats.value.totals.connectFailures += 1
                    onSettled?()
                }
            }
    }

    /// Everything measured so far, across all loops.
    public func snapshot() async throws -> LoadSnapshot {
        var total = LoadSnapshot()
        for bound in self.stats {
            total.add(try await bound.eventLoop.submit { bound.value.snapshot }.get())
        }
        return total
    }

    /// Polls until `condition` holds or `timeout` passes; returns the last snapshot.
    public func wait(
        timeout: Duration, every interval: Duration = .milliseconds(100),
        until condition: (LoadSnapshot) -> Bool
    ) async throws -> LoadSnapshot {
        let deadline = ContinuousClock.now + timeout
        var last = try await self.snapshot()
        while !condition(last) && ContinuousClock.now < deadline {
            try await Task.sleep(for: interval)
            last = try await self.snapshot()
        }
        return last
    }
}
