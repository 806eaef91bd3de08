import NIOConcurrencyHelpers
import NIOCore

/// The messages a client receives, in arrival order, for one consumer.
///
/// Backpressure: the client buffers up to `inboundBuffer.high` messages; past that it stops
/// reading the socket until the consumer has drained the buffer to `inboundBuffer.low`. TCP then
/// pushes back on the broker, and for QoS 1/2 the broker's in-flight window fills with messages
/// the application has not acknowledged, which stops the broker sending sooner.
public struct MQTTInboundMessages: AsyncSequence, Sendable {
    public typealias Element = MQTTInboundMessage
    typealias Producer = NIOAsyncSequenceProducer<
        MQTTInboundMessage, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, MQTTInboundFlowDelegate
    >

    let producer: Producer

    public struct AsyncIterator: AsyncIteratorProtocol {
        var iterator: Producer.AsyncIterator

        public mutating func next() async -> MQTTInboundMessage? {
            await self.iterator.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(iterator: self.producer.makeAsyncIterator())
    }
}

/// Tells the client when the consumer wants more, without keeping it alive.
final class MQTTInboundFlowDelegate: NIOAsyncSequenceProducerDelegate, Sendable {
    private struct WeakClient {
        weak var client: MQTTClient?
    }

    private let box = NIOLockedValueBox(WeakClient())

    func attach(_ client: MQTTClient) {
        self.box.withLockedValue { $0.client = client }
    }

    func produceMore() {
        self.box.withLockedValue { $0.client }?.resumeReading()
    }

    func didTerminate() {}
}
