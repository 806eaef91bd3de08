import Synchronization
import Testing

@testable import ServiceRuntime

@Suite(.timeLimit(.minutes(1))) struct InFlightWindowTests {
    final class InFlight: Sendable {
        let counts = Mutex((now: 0, most: 0, total: 0))
    }

    /// Waits (bounded) until `window` has `waiters` suspended waiters.
    private func waitForWaiters(_ window: InFlightWindow, _ waiters: Int) async throws {
        for _ in 0..<1000 where window.waiterCount != waiters {
            try await Task.sleep(for: .milliseconds(5))
        }
        try #require(window.waiterCount == waiters)
    }

    @Test func aProducerWaitsForRoomUntilAnItemIsReleased() async throws {
        let window = InFlightWindow(capacity: 2)
        #expect(try await window.acquire())
        #expect(try await window.acquire())
        let third = Task { try await window.acquire() }
        try await waitForWaiters(window, 1)
        #expect(window.count == 2, "the third waits for room")
        window.release()
        #expect(try await third.value)
        #expect(window.count == 2 && window.waiterCount == 0)
    }

    @Test func waitForRoomTakesNothingAndAddCountsWithoutWaiting() async throws {
        let window = InFlightWindow(capacity: 1)
        window.add()
        let waiting = Task { await window.waitForRoom() }
        try await waitForWaiters(window, 1)
        window.release()
        await waiting.value
        #expect(window.count == 0)
        window.add(3)
        #expect(window.count == 3, "add may exceed the capacity (an item replacing one that leaves)")
    }

    @Test func aPausedWindowHasNoRoomUntilResumed() async throws {
        let window = InFlightWindow(capacity: 1, paused: true)
        let waiting = Task { try await window.acquire() }
        try await waitForWaiters(window, 1)
        #expect(window.count == 0)
        window.setPaused(false)
        #expect(try await waiting.value)
        #expect(window.count == 1)
    }

    @Test func closingTurnsWaitingAndLaterProducersAway() async throws {
        let window = InFlightWindow(capacity: 1, paused: true)
        let waiting = Task { try await window.acquire() }
        try await waitForWaiters(window, 1)
        window.close()
        #expect(try await waiting.value == false)
        window.setPaused(false)
        #expect(try await window.acquire() == false)
        #expect(window.count == 0 && window.isClosed)
    }

    @Test func theDrainIsWokenByTheLastRelease() async throws {
        let window = InFlightWindow(capacity: 3)
        window.add(2)
        let start = ContinuousClock.now
        let drain = Task { await window.waitUntilEmpty(timeout: .seconds(30)) }
        try await waitForWaiters(window, 1)
        window.release()
        try await Task.sleep(for: .milliseconds(20))
        #expect(window.waiterCount == 1, "one item is still in flight")
        window.release()
        #expect(await drain.value)
        #expect(ContinuousClock.now - start < .seconds(10), "woken, not timed out")
        #expect(window.waiterCount == 0)
    }

    @Test func theDrainTimesOutOnceAndLeavesNoWaiter() async throws {
        let window = InFlightWindow(capacity: 1)
        window.add()
        let start = ContinuousClock.now
        #expect(await window.waitUntilEmpty(timeout: .milliseconds(100)) == false)
        #expect(ContinuousClock.now - start >= .milliseconds(100))
        #expect(window.waiterCount == 0, "the timed-out waiter is resumed and removed")
        window.release()
        #expect(await window.waitUntilEmpty(timeout: .milliseconds(100)))
        #expect(await window.waitUntilEmpty(timeout: .zero), "an empty window answers at once")
    }

    @Test func cancellationResumesEveryKindOfWaiter() async throws {
        let window = InFlightWindow(capacity: 1, paused: true)
        window.add()
        let room = Task { await window.waitForRoom() }
        let acquiring = Task { try await window.acquire() }
        let drain = Task { await window.waitUntilEmpty(timeout: .seconds(30)) }
        try await waitForWaiters(window, 3)
        room.cancel()
        acquiring.cancel()
        drain.cancel()
        await room.value
        await #expect(throws: CancellationError.self) { try await acquiring.value }
        #expect(await drain.value == false)
        #expect(window.waiterCount == 0 && window.count == 1)
    }

    @Test func aTaskCancelledBeforeItWaitsDoesNotSuspend() async throws {
        let window = InFlightWindow(capacity: 1)
        window.add()
        let cancelled = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await window.acquire()
        }
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        #expect(window.waiterCount == 0)
    }

    @Test func concurrentProducersNeverExceedTheBound() async throws {
        let capacity = 4
        let window = InFlightWindow(capacity: capacity)
        let inFlight = InFlight()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    for _ in 0..<200 {
                        let taken = try await window.acquire()
                        #expect(taken)
                        inFlight.counts.withLock {
                            $0.now += 1
                            $0.most = max($0.most, $0.now)
                            $0.total += 1
                        }
                        await Task.yield()
                        inFlight.counts.withLock { $0.now -= 1 }
                        window.release()
                    }
                }
            }
            try await group.waitForAll()
        }
        let counts = inFlight.counts.withLock { $0 }
        #expect(counts.total == 16 * 200)
        #expect(counts.most <= capacity && counts.most > 0)
        #expect(window.count == 0 && window.waiterCount == 0)
    }
}
