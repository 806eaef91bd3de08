import Kafka
import NIOConcurrencyHelpers
import ServiceRuntime

/// The bridge's flow control: admits a record only while MQTT is connected and fewer than
/// `maxOutstanding` records are not yet covered by a stored offset (an `InFlightWindow`, paused
/// while MQTT is down), tracks each admitted record until it is done, and stores offsets in order
/// per partition.
///
/// One task admits (the consume loop); completions come from any thread. Offsets are stored
/// under the lock so that two completions cannot store in the wrong order (storing is a quick
/// librdkafka call without I/O).
final class BridgeFlow: Sendable {
    typealias StoreOffset = @Sendable (PartitionID, _ offset: Int64) -> Void

    private struct State: Sendable {
        var tracker = OffsetTracker()
        var isStopping = false
        var failure: (any Error)?
        var storedSinceCommit = false
    }

    private let state = NIOLockedValueBox(State())
    private let window: InFlightWindow
    private let storeOffset: StoreOffset

    init(maxOutstanding: Int, storeOffset: @escaping StoreOffset) {
        self.window = InFlightWindow(capacity: maxOutstanding, paused: true)
        self.storeOffset = storeOffset
    }

    /// Waits until the record may be processed and tracks it. Returns nil once stopping (the
    /// record is left unprocessed, to be read again); throws after `fail` or on cancellation.
    func admit(_ partition: PartitionID, offset: Int64) async throws -> OffsetTracker.Ticket? {
        // `stop` and `fail` record why before they close the window.
        guard try await window.acquire() else {
            if let failure = state.withLockedValue({ $0.failure }) { throw failure }
            return nil
        }
        return state.withLockedValue { $0.tracker.track(partition, offset: offset) }
    }

    /// The record is done (acknowledged, skipped or malformed): store what it completes.
    func complete(_ ticket: OffsetTracker.Ticket) {
        let released = state.withLockedValue { state in
            let completion = state.tracker.complete(ticket)
            if let offset = completion.storeOffset {
                storeOffset(ticket.partition, offset)
                state.storedSinceCommit = true
            }
            return completion.released
        }
        window.release(released)
    }

    func setConnected(_ connected: Bool) {
        window.setPaused(!connected)
    }

    /// No record is admitted any more; the waiting one is turned away.
    func stop() {
        state.withLockedValue { $0.isStopping = true }
        window.close()
    }

    /// A record could not be published and cannot be skipped: admitting ends with `error`.
    func fail(_ error: any Error) {
        state.withLockedValue { if $0.failure == nil { $0.failure = error } }
        window.close()
    }

    var isStopping: Bool { state.withLockedValue { $0.isStopping } }
    var outstanding: Int { window.count }

    /// True once, after offsets were stored since the last call: time to commit.
    func takeStoredSinceCommit() -> Bool {
        state.withLockedValue { state in
            defer { state.storedSinceCommit = false }
            return state.storedSinceCommit
        }
    }

    /// Waits (bounded by `timeout`) until every admitted record is done.
    func waitUntilDrained(timeout: Duration) async -> Bool {
        await window.waitUntilEmpty(timeout: timeout)
    }
}
