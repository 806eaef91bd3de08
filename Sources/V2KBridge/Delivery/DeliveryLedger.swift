import NIOConcurrencyHelpers
import ServiceRuntime

/// The bridge's in-flight messages: every message handed to Kafka and not yet acknowledged, by
/// delivery token, counted in an `InFlightWindow`.
///
/// The consumer waits for room before it takes the next message (`waitForRoom`), so at most
/// `capacity` messages are unacknowledged; the delivery handler removes entries from the Kafka
/// poll thread. One lock, held only for a table step, never across I/O.
final class DeliveryLedger: Sendable {
    private struct State {
        var pending: [UInt64: PendingDelivery] = [:]
        var nextToken: UInt64 = 0
        /// After a fatal Kafka error nothing may be acknowledged any more.
        var halted = false
        /// Shutting down: failed deliveries are not retried.
        var draining = false
    }

    private let state: NIOLockedValueBox<State>
    private let window: InFlightWindow

    init(capacity: Int) {
        self.window = InFlightWindow(capacity: capacity)
        var state = State()
        state.pending.reserveCapacity(capacity)
        self.state = NIOLockedValueBox(state)
    }

    var count: Int { window.count }
    var isHalted: Bool { state.withLockedValue { $0.halted } }
    var isDraining: Bool { state.withLockedValue { $0.draining } }

    /// Returns when fewer than `capacity` messages are pending, or at once when cancelled.
    func waitForRoom() async {
        await window.waitForRoom()
    }

    /// Records a message about to be produced and returns its token.
    func add(_ delivery: PendingDelivery) -> UInt64 {
        window.add()
        return state.withLockedValue { state in
            let token = state.nextToken
            state.nextToken += 1
            state.pending[token] = delivery
            return token
        }
    }

    /// The entry of `token`, removed, and whether the ledger is halted; wakes the consumer when
    /// this makes room. Nil when unknown.
    func remove(_ token: UInt64) -> (PendingDelivery, halted: Bool)? {
        let (entry, halted) = state.withLockedValue { state in
            (state.pending.removeValue(forKey: token), state.halted)
        }
        guard let entry else { return nil }
        window.release()
        return (entry, halted)
    }

    /// Counts one more attempt of `token`; nil when it is unknown or the bridge is draining.
    func retry(_ token: UInt64) -> PendingDelivery? {
        state.withLockedValue { state in
            guard !state.draining, !state.halted, state.pending[token] != nil else { return nil }
            state.pending[token]!.attempts += 1
            return state.pending[token]
        }
    }

    /// The entry of `token` while it may still be produced (not draining, not halted).
    func entryToProduce(_ token: UInt64) -> PendingDelivery? {
        state.withLockedValue { state in
            guard !state.draining, !state.halted else { return nil }
            return state.pending[token]
        }
    }

    /// Nothing is acknowledged from now on (a fatal producer error).
    func halt() {
        state.withLockedValue { $0.halted = true }
    }

    /// Shutting down: failures are no longer retried.
    func startDraining() {
        state.withLockedValue { $0.draining = true }
    }

    /// Waits until no message is pending, or `timeout`; returns whether it emptied.
    func waitUntilEmpty(timeout: Duration) async -> Bool {
        await window.waitUntilEmpty(timeout: timeout)
    }
}
