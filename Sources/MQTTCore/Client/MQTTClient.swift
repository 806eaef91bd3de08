import Logging
import NIOConcurrencyHelpers
import NIOCore

/// An MQTT 3.1/3.1.1 client over SwiftNIO.
///
/// A thread-safe final class rather than an actor: publish and acknowledge are hot paths
/// (bridges, thousands of load-test devices per process), and an actor hop per message costs
/// more than one short, uncontended lock around a state-machine step. The lock is never held
/// across I/O; the actions a step returns are carried out after it is released. All
/// connections of one client run on one event loop of the shared group, promises are made on
/// that loop, and every step that writes a PUBLISH runs on it, so publishes leave in order.
public final class MQTTClient: Sendable {
    public let configuration: MQTTClientConfiguration
    /// Inbound application messages; iterate it once, from one task.
    public let messages: MQTTInboundMessages

    let eventLoop: any EventLoop
    let logger: Logger
    let state: NIOLockedValueBox<State>
    let inboundSource: MQTTInboundMessages.Producer.Source

    struct State: Sendable {
        var machine: MQTTClientStateMachine
        var observers: [Int: AsyncStream<MQTTConnectionEvent>.Continuation] = [:]
        var nextObserverID = 0
    }

    public init(configuration: MQTTClientConfiguration, logger: Logger = Logger(label: "mqtt.client")) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "mqtt.client_id"] = .string(configuration.clientID)
        self.logger = logger
        self.eventLoop = configuration.eventLoopGroup.next()
        self.state = NIOLockedValueBox(
            State(
                machine: MQTTClientStateMachine(
                    cleanSession: configuration.cleanSession,
                    inflightWindow: configuration.inflightWindow,
                    automaticAcknowledgement: configuration.automaticAcknowledgement,
                    reconnectEnabled: configuration.reconnect.enabled
                )))
        let delegate = MQTTInboundFlowDelegate()
        let producer = MQTTInboundMessages.Producer.makeSequence(
            backPressureStrategy: .init(
                lowWatermark: configuration.inboundBuffer.low, highWatermark: configuration.inboundBuffer.high
            ),
            finishOnDeinit: true,
            delegate: delegate
        )
        self.messages = MQTTInboundMessages(producer: producer.sequence)
        self.inboundSource = producer.source
        delegate.attach(self)
    }

    /// True between an accepted CONNACK and the end of that connection.
    public var isConnected: Bool {
        self.state.withLockedValue { $0.machine.isConnected }
    }

    /// Connection events from now on, for as long as the stream is iterated or until shutdown.
    public func connectionEvents() -> AsyncStream<MQTTConnectionEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: MQTTConnectionEvent.self, bufferingPolicy: .bufferingNewest(64))
        let id: Int? = self.state.withLockedValue { state in
            if case .shutdown = state.machine.connection { return nil }
            let id = state.nextObserverID
            state.nextObserverID += 1
            state.observers[id] = continuation
            return id
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLockedValue { _ = $0.observers.removeValue(forKey: id) }
        }
        return stream
    }

    func emit(_ event: MQTTConnectionEvent?) {
        guard let event else { return }
        let observers = self.state.withLockedValue { Array($0.observers.values) }
        for observer in observers { observer.yield(event) }
    }
}

// MARK: - Connecting
extension MQTTClient {
    /// Connects and waits for CONNACK. One attempt: a refusal, a timeout or a transport error
    /// is thrown. Once connected, a lost connection is re-established by the reconnect policy.
    /// - Returns: whether the broker had a session for this client id.
    @discardableResult
    public func connect() async throws -> Bool {
        try await self.connectFuture().get()
    }

    /// The first connection of a service: `connect()` until it succeeds, waiting the reconnect
    /// policy's delay between attempts (also when the policy is off for later losses); each failed
    /// attempt goes to `onFailure` for the log. Throws `CancellationError` when the task is cancelled.
    @discardableResult
    public func connectRetrying(onFailure: (_ error: any Error, _ attempt: Int, _ delay: TimeAmount) -> Void) async throws -> Bool {
        var attempt = 0
        while true {
            try Task.checkCancellation()
            do {
                return try await self.connect()
            } catch {
                let delay = self.configuration.reconnect.delay(attempt: attempt)
                onFailure(error, attempt, delay)
                attempt += 1
                try await Task.sleep(for: .nanoseconds(delay.nanoseconds))
            }
        }
    }

    public func connectFuture() -> EventLoopFuture<Bool> {
        let promise = self.eventLoop.makePromise(of: Bool.self)
        switch self.state.withLockedValue({ $0.machine.connect(promise: promise) }) {
        case .start(let id): self.startConnection(id: id)
        case .fail(let error): promise.fail(error)
        }
        return promise.futureResult
    }

    /// Sends DISCONNECT and closes the connection; the broker discards the will. With clean
    /// session off, unacknowledged publishes stay pending for the next `connect()`.
    public func disconnect() async throws {
        try await self.disconnectFuture().get()
    }

    public func disconnectFuture() -> EventLoopFuture<Void> {
        let promise = self.eventLoop.makePromise(of: Void.self)
        // On the loop, like `publishFuture`: a PUBLISH asked for before the DISCONNECT leaves first.
        if self.eventLoop.inEventLoop {
            self.startDisconnect(promise)
        } else {
            self.eventLoop.execute { self.startDisconnect(promise) }
        }
        return promise.futureResult
    }

    private func startDisconnect(_ promise: EventLoopPromise<Void>) {
        switch self.state.withLockedValue({ $0.machine.disconnect(promise: promise) }) {
        case .sendDisconnect(let channel):
            channel.writeAndFlush(MQTTPacket.disconnect).whenComplete { _ in channel.close(promise: nil) }
        case .close(let channel, let connectPromise):
            connectPromise?.fail(MQTTClientError.disconnected)
            channel?.close(promise: nil)
            promise.succeed()
        case .done:
            promise.succeed()
        }
    }

    /// Ends the client: every pending operation fails with `MQTTClientError.shutdown`, the
    /// connection is closed (after DISCONNECT), and `messages` and the event streams finish.
    public func shutdown() async {
        let (actions, observers) = self.state.withLockedValue { state in
            let actions = state.machine.shutdown()
            let observers = Array(state.observers.values)
            state.observers.removeAll()
            return (actions, observers)
        }
        let error = MQTTClientError.shutdown
        actions.connectPromise?.fail(error)
        actions.disconnectPromise?.succeed()
        for promise in actions.failedPublishes { promise.fail(error) }
        for request in actions.failedRequests { request.fail(error) }
        if let channel = actions.channelToClose {
            if actions.sendDisconnect { try? await channel.writeAndFlush(MQTTPacket.disconnect).get() }
            try? await channel.close()
        }
        self.inboundSource.finish()
        for observer in observers { observer.finish() }
    }

    private func startConnection(id: UInt64) {
        let configuration = self.configuration
        self.eventLoop.scheduleTask(in: configuration.connectTimeout) { [weak self] in
            self?.connectionAttemptFailed(id: id, error: .connectTimeout)
        }
        self.makeBootstrap(connectionID: id)
            .connect(host: configuration.host, port: configuration.port)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    switch self.state.withLockedValue({ $0.machine.channelOpened(channel, connectionID: id) }) {
                    case .sendConnect: channel.writeAndFlush(MQTTPacket.connect(configuration.connectPacket), promise: nil)
                    case .close: channel.close(promise: nil)
                    }
                case .failure(let error):
                    self.connectionAttemptFailed(id: id, error: .transport(String(describing: error)))
                }
            }
    }

    private func connectionAttemptFailed(id: UInt64, error: MQTTClientError) {
        let actions = self.state.withLockedValue { $0.machine.connectionFailed(connectionID: id, error: error) }
        self.connectionLost(actions)
    }

    func channelClosed(connectionID: UInt64, error: MQTTClientError?) {
        let actions = self.state.withLockedValue { $0.machine.channelClosed(connectionID: connectionID, error: error) }
        self.connectionLost(actions)
    }

    func connectionLost(_ actions: MQTTClientStateMachine.ConnectionLostActions) {
        actions.channelToClose?.close(promise: nil)
        actions.connectPromise?.fail(actions.error)
        actions.disconnectPromise?.succeed()
        for promise in actions.failedPublishes { promise.fail(actions.error) }
        for request in actions.failedRequests { request.fail(actions.error) }
        if case .disconnected(let error?) = actions.event {
            self.logger.info("MQTT connection lost", metadata: ["error": "\(error)"])
        }
        self.emit(actions.event)
        if let attempt = actions.reconnectAttempt { self.scheduleReconnect(attempt: attempt) }
    }

    private func scheduleReconnect(attempt: Int) {
        let delay = self.configuration.reconnect.delay(attempt: attempt)
        self.emit(.reconnecting(attempt: attempt, delay: delay))
        self.eventLoop.scheduleTask(in: delay) { [weak self] in
            guard let self else { return }
            if case .start(let id) = self.state.withLockedValue({ $0.machine.reconnectTimerFired(attempt: attempt) }) {
                self.startConnection(id: id)
            }
        }
    }

    func resumeReading() {
        self.state.withLockedValue { $0.machine.connectedChannel }?
            .triggerUserOutboundEvent(MQTTReadFlow.resume, promise: nil)
    }
}

extension MQTTClientStateMachine.PendingRequest {
    func fail(_ error: MQTTClientError) {
        switch self {
        case .subscribe(_, let promise): promise?.fail(error)
        case .unsubscribe(_, let promise): promise?.fail(error)
        }
    }
}
