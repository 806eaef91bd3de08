import MQTTCore
import TestSupport

/// The usual cast of a test: a broker, a subscriber (with its inbox) subscribed to one filter,
/// and a publisher, both connected. `close()` ends all three.
struct PubSub {
    let broker: Mosquitto
    let subscriber: MQTTClient
    let publisher: MQTTClient
    let inbox: Inbox
    /// The subscriber's SUBACK verdict.
    let granted: SubAckReturnCode

    static func start(
        subscribeTo filter: String,
        qos: QoS,
        subscriber configureSubscriber: (inout MQTTClientConfiguration) -> Void = { _ in },
        publisher configurePublisher: (inout MQTTClientConfiguration) -> Void = { _ in }
    ) async throws -> PubSub {
        let broker = try await Mosquitto()
        var subscriberConfiguration = MQTTClientConfiguration.test(broker)
        configureSubscriber(&subscriberConfiguration)
        var publisherConfiguration = MQTTClientConfiguration.test(broker)
        configurePublisher(&publisherConfiguration)
        let subscriber = MQTTClient(configuration: subscriberConfiguration)
        let publisher = MQTTClient(configuration: publisherConfiguration)
        let inbox = Inbox(subscriber)
        try await subscriber.connect()
        let granted = try await subscriber.subscribe(to: filter, qos: qos)
        try await publisher.connect()
        return PubSub(broker: broker, subscriber: subscriber, publisher: publisher, inbox: inbox, granted: granted)
    }

    func close() async {
        await self.subscriber.shutdown()
        await self.publisher.shutdown()
        await self.broker.stop()
    }
}
