import MQTTCore
import NIOConcurrencyHelpers
import NIOCore

/// Acknowledgements gathered from Kafka's poll thread and written on the client's event loop
/// in bursts: one hop and one flush per burst instead of one per message (a delivery-report
/// event carries many messages, and the loop runs the burst after the poll thread moved on).
final class AcknowledgementBatcher: Sendable {
    private struct Pending {
        var messages: [MQTTInboundMessage] = []
        var scheduled = false
    }

    private let client: MQTTClient
    private let eventLoop: any EventLoop
    private let pending = NIOLockedValueBox(Pending())

    /// `eventLoop` must be the client's (its only loop).
    init(client: MQTTClient, eventLoop: any EventLoop) {
        self.client = client
        self.eventLoop = eventLoop
    }

    func acknowledge(_ message: MQTTInboundMessage) {
        let schedule = pending.withLockedValue { pending in
            pending.messages.append(message)
            defer { pending.scheduled = true }
            return !pending.scheduled
        }
        if schedule { eventLoop.execute { self.flush() } }
    }

    /// Writes what is gathered; on the event loop.
    func flush() {
        let messages = pending.withLockedValue { pending in
            pending.scheduled = false
            defer { pending.messages = [] }
            return pending.messages
        }
        if !messages.isEmpty { client.acknowledge(messages) }
    }

    /// Writes what is gathered before the caller goes on (before DISCONNECT).
    func flushNow() async {
        try? await eventLoop.submit { self.flush() }.get()
    }
}
