import NIOConcurrencyHelpers

/// Answers `/ready`: the names of the parts that are not ready yet; empty means ready.
public typealias ReadinessCheck = @Sendable () -> [String]

/// Readiness of a process made of named parts (e.g. "mqtt", "kafka"): ready when every part is.
/// A part can become not ready again (a lost Kafka connection) and is then reported again.
public final class ReadinessState: Sendable {
    private struct Parts {
        var order: [String]
        var notReady: Set<String>
    }

    private let parts: NIOLockedValueBox<Parts>

    /// A state waiting for each of `parts`.
    public init(waitingFor parts: [String]) {
        var order: [String] = []
        for part in parts where !order.contains(part) { order.append(part) }
        self.parts = NIOLockedValueBox(Parts(order: order, notReady: Set(order)))
    }

    public func markReady(_ part: String) {
        parts.withLockedValue { parts in
            if !parts.order.contains(part) { parts.order.append(part) }
            parts.notReady.remove(part)
        }
    }

    public func markNotReady(_ part: String) {
        parts.withLockedValue { parts in
            if !parts.order.contains(part) { parts.order.append(part) }
            parts.notReady.insert(part)
        }
    }

    /// The parts not ready, in the order they were first named.
    public var waiting: [String] {
        parts.withLockedValue { parts in parts.order.filter(parts.notReady.contains) }
    }

    public var isReady: Bool { parts.withLockedValue { $0.notReady.isEmpty } }

    /// This state as the check the ops endpoint asks.
    public var check: ReadinessCheck { { [self] in self.waiting } }
}
