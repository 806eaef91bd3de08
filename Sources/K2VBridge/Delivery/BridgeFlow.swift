import Kafka
import NIOConcurrencyHelpers

/// The bridge's flow control: admits a record only while MQTT is connected and fewer than
/// `maxOutstanding` records are not yet covered by a stored offset, tracks each admitted record
/// until it is done, and stores offsets in order per partition.
///
/// One task admits (the consume loop); completions come from any thread. Offsets are stored
/// under the lock so that two completions cannot store in the wrong order (storing is a quick
/// librdkafka call without I/O).
final class BridgeFlow: Sendable {
    typealias StoreOffset = @Sendable (PartitionID, _ offset: Int64) -> Void

    private struct State: Sendable {
        var tracker = OffsetTracker()
        var isConnected = false
        var isStopping = false
        var failure: (any Error)?
        var waiter: CheckedContinuation<Bool, any Error>?
        var storedSinceCommit = false

        var canAdmit: Bool { isConnected && !isStopping && failure == nil }
    }

    private let state = NIOLockedValueBox(State())
    private let maxOutstanding: Int
    private let storeOffset: StoreOffset

    init(maxOutstanding: Int, storeOffset: @escaping StoreOffset) {
        precondition(maxOutstanding > 0)
        self.maxOutstanding = maxOutstanding
        self.storeOffset = storeOffset
    }

    /// Waits until the record may be processed and tracks it. Returns nil once stopping (the
    /// record is left unprocessed, to be read again); throws after `fail` or on cancellation.
    func admit(_ partition: PartitionID, offset: Int64) async throws -> OffsetTracker.Ticket? {
        while true {
            let decision: Result<OffsetTracker.Ticket?, any Error>? = state.withLockedValue { state in
                if let failure = state.failure { return .failure(failure) }
                if state.isStopping { return .success(nil) }
                guard state.isConnected, state.tracker.outstanding < maxOutstanding else { return nil }
                return .success(state.tracker.track(partition, offset: offset))
            }
            if let decision { return try decision.get() }
            try await waitForChange()
        }
    }

    /// Suspends until a change that may let the waiting record in (or cancellation).
    private func waitForChange() async throws {
        try await withTaskCancellationHandler {
            _ = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Bool, any Error>) in
                let resumeNow = state.withLockedValue { state -> Bool in
                    if Task.isCancelled || state.failure != nil || state.isStopping
                        || (state.isConnected && state.tracker.outstanding < maxOutstanding) {
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume(returning: true) }
            }
        } onCancel: {
            wake()
        }
        try Task.checkCancellation()
    }

    private func wake() {
        let waiter = state.withLockedValue { state in
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: true)
    }

    /// The record is done (acknowledged, skipped or malformed): store what it completes.
    func complete(_ ticket: OffsetTracker.Ticket) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Bool, any Error>? in
            let completion = state.tracker.complete(ticket)
            if let offset = completion.storeOffset {
                storeOffset(ticket.partition, offset)
                state.storedSinceCommit = true
            }
            guard completion.released > 0 else { return nil }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: true)
    }

    func setConnected(_ connected: Bool) {
        state.withLockedValue { $0.isConnected = connected }
        if connected { wake() }
    }

    /// No record is admitted any more; the waiting one is turned away.
    func stop() {
        state.withLockedValue { $0.isStopping = true }
        wake()
    }

    /// A record could not be published and cannot be skipped: admitting ends with `error`.
    func fail(_ error: any Error) {
        state.withLockedValue { if $0.failure == nil { $0.failure = error } }
        wake()
    }

    var isStopping: Bool { state.withLockedValue { $0.isStopping } }
    var outstanding: Int { state.withLockedValue { $0.tracker.outstanding } }

    /// True once, after offsets were stored since the last call: time to commit.
    func takeStoredSinceCommit() -> Bool {
        state.withLockedValue { state in
            defer { state.storedSinceCommit = false }
            return state.storedSinceCommit
        }
    }

    /// Waits (polling, bounded by `timeout`) until every admitted record is done.
    func waitUntilDrained(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while outstanding > 0 {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }
}
