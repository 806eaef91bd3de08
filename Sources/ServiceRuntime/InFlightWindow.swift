import NIOConcurrencyHelpers

/// A bounded count of items in flight (handed downstream and not yet done), shared by both
/// bridges: producers wait for room, the shutdown drain waits until it is empty.
///
/// Waiters are continuations woken by the change they wait for, never a poll. A cancelled waiter
/// is resumed at once, and every continuation is resumed exactly once: whoever removes it from the
/// table under the lock (the change, or the cancellation handler) resumes it. One lock, held only
/// for a counter step.
public final class InFlightWindow: Sendable {
    public let capacity: Int

    private enum Awaited: Sendable {
        case room
        case empty
    }

    private struct Waiter: Sendable {
        let awaited: Awaited
        /// True when woken by the change, false when cancelled.
        let continuation: CheckedContinuation<Bool, Never>
    }

    private struct State: Sendable {
        let capacity: Int
        var count = 0
        var isPaused: Bool
        var isClosed = false
        var waiters: [UInt64: Waiter] = [:]
        var nextWaiterID: UInt64 = 0

        /// Closing turns room waiters away, so it satisfies them too.
        func satisfies(_ awaited: Awaited) -> Bool {
            switch awaited {
            case .room: isClosed || (!isPaused && count < capacity)
            case .empty: count == 0
            }
        }

        /// Removes and returns the waiters whose change has come.
        mutating func takeSatisfied() -> [CheckedContinuation<Bool, Never>] {
            guard !waiters.isEmpty else { return [] }
            var woken: [CheckedContinuation<Bool, Never>] = []
            for (id, waiter) in waiters where satisfies(waiter.awaited) {
                waiters.removeValue(forKey: id)
                woken.append(waiter.continuation)
            }
            return woken
        }
    }

    private let state: NIOLockedValueBox<State>

    /// A window of `capacity` items; a paused one has no room until `setPaused(false)`.
    public init(capacity: Int, paused: Bool = false) {
        precondition(capacity > 0, "the window holds at least one item")
        self.capacity = capacity
        self.state = NIOLockedValueBox(State(capacity: capacity, isPaused: paused))
    }

    public var count: Int { state.withLockedValue { $0.count } }
    public var isClosed: Bool { state.withLockedValue { $0.isClosed } }
    /// Suspended waiters (tests check that none is left behind).
    var waiterCount: Int { state.withLockedValue { $0.waiters.count } }

    /// Returns when there is room (fewer than `capacity` items and not paused), once closed, or
    /// at once when cancelled. Takes nothing: for a single producer that counts its item with
    /// `add` only once it has one.
    public func waitForRoom() async {
        _ = await wait(for: .room)
    }

    /// Waits for room and takes it: true when the item counts, false once closed; throws
    /// `CancellationError` when cancelled while waiting.
    public func acquire() async throws -> Bool {
        while true {
            let taken: Bool? = state.withLockedValue { state in
                if state.isClosed { return false }
                guard state.satisfies(.room) else { return nil }
                state.count += 1
                return true
            }
            if let taken { return taken }
            _ = await wait(for: .room)
            try Task.checkCancellation()
        }
    }

    /// Counts `items` without waiting: the caller waited for room already, or the item replaces
    /// one that is leaving.
    public func add(_ items: Int = 1) {
        state.withLockedValue { $0.count += items }
    }

    /// `items` are done: wakes producers waiting for room and, when the window empties, the drain.
    public func release(_ items: Int = 1) {
        guard items > 0 else { return }
        resume(
            state.withLockedValue { state in
                precondition(state.count >= items, "released \(items) of \(state.count) items in flight")
                state.count -= items
                return state.takeSatisfied()
            })
    }

    /// While paused there is no room (the downstream is unavailable); resuming wakes producers.
    public func setPaused(_ paused: Bool) {
        resume(
            state.withLockedValue { state in
                state.isPaused = paused
                return state.takeSatisfied()
            })
    }

    /// Admits nothing any more: waiting producers are turned away (`acquire` returns false).
    public func close() {
        resume(
            state.withLockedValue { state in
                state.isClosed = true
                return state.takeSatisfied()
            })
    }

    /// Waits until no item is in flight, or `timeout`; returns whether it emptied. The timeout is
    /// one timer racing the wait, not a poll.
    public func waitUntilEmpty(timeout: Duration) async -> Bool {
        if count == 0 { return true }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.wait(for: .empty) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    /// Suspends until `awaited` holds (true) or the task is cancelled (false).
    private func wait(for awaited: Awaited) async -> Bool {
        let id: UInt64? = state.withLockedValue { state in
            if state.satisfies(awaited) { return nil }
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        guard let id else { return true }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                // Checked under the lock, so a cancellation either finds the waiter in the
                // table or is seen here.
                let now: Bool? = state.withLockedValue { state in
                    if state.satisfies(awaited) { return true }
                    if Task.isCancelled { return false }
                    state.waiters[id] = Waiter(awaited: awaited, continuation: continuation)
                    return nil
                }
                if let now { continuation.resume(returning: now) }
            }
        } onCancel: {
            state.withLockedValue { $0.waiters.removeValue(forKey: id) }?.continuation.resume(returning: false)
        }
    }

    private func resume(_ continuations: [CheckedContinuation<Bool, Never>]) {
        for continuation in continuations { continuation.resume(returning: true) }
    }
}
