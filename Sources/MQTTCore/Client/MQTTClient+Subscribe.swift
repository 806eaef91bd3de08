import NIOCore

extension MQTTClient {
    /// Subscribes and returns the broker's verdict per filter, in order. Granted subscriptions
    /// are remembered and sent again after a reconnect that finds no session.
    @discardableResult
    public func subscribe(_ subscriptions: [SubscribePacket.Subscription]) async throws -> [SubAckReturnCode] {
        try await self.subscribeFuture(subscriptions).get()
    }

    @discardableResult
    public func subscribe(to filter: String, qos: QoS = .atLeastOnce) async throws -> SubAckReturnCode {
        try await self.subscribe([.init(filter: filter, qos: qos)])[0]
    }

    public func subscribeFuture(_ subscriptions: [SubscribePacket.Subscription]) -> EventLoopFuture<[SubAckReturnCode]> {
        precondition(!subscriptions.isEmpty, "SUBSCRIBE carries at least one filter")
        for subscription in subscriptions {
            do {
                try Topic.validateFilter(subscription.filter)
                _ = try SharedFilter.parse(subscription.filter)
            } catch {
                return self.eventLoop.makeFailedFuture(MQTTClientError.invalidTopicFilter(subscription.filter, error))
            }
        }
        let promise = self.eventLoop.makePromise(of: [SubAckReturnCode].self)
        self.send(self.state.withLockedValue { $0.machine.subscribe(subscriptions, promise: promise) }) {
            promise.fail($0)
        }
        return promise.futureResult
    }

    public func unsubscribe(_ filters: [String]) async throws {
        try await self.unsubscribeFuture(filters).get()
    }

    public func unsubscribeFuture(_ filters: [String]) -> EventLoopFuture<Void> {
        precondition(!filters.isEmpty, "UNSUBSCRIBE carries at least one filter")
        let promise = self.eventLoop.makePromise(of: Void.self)
        self.send(self.state.withLockedValue { $0.machine.unsubscribe(filters, promise: promise) }) {
            promise.fail($0)
        }
        return promise.futureResult
    }

    private func send(_ action: MQTTClientStateMachine.RequestAction, failure: (MQTTClientError) -> Void) {
        switch action {
        case .write(let packet, let channel): channel.writeAndFlush(packet, promise: nil)
        case .fail(let error): failure(error)
        }
    }
}
