import NIOConcurrencyHelpers
import TestSupport
import Testing

@testable import K2VBridge

@Suite(.timeLimit(.minutes(1))) struct BridgeFlowTests {
    let partition = PartitionID(topic: "t", partition: 0)

    final class Stores: Sendable {
        let offsets = NIOLockedValueBox<[Int64]>([])
    }

    @Test func admitsOnlyWhileConnectedAndUnderTheLimit() async throws {
        let stores = Stores()
        let flow = BridgeFlow(maxOutstanding: 2) { _, offset in stores.offsets.withLockedValue { $0.append(offset) } }
        let waiting = Task { try await flow.admit(partition, offset: 0) }
        try await Task.sleep(for: .milliseconds(100))
        #expect(flow.outstanding == 0, "nothing is admitted while MQTT is down")
        flow.setConnected(true)
        let first = try #require(try await waiting.value)
        let second = try #require(try await flow.admit(partition, offset: 1))

        let third = Task { try await flow.admit(partition, offset: 2) }
        try await Task.sleep(for: .milliseconds(100))
        #expect(flow.outstanding == 2, "the third waits for room")
        flow.complete(second)
        try await Task.sleep(for: .milliseconds(50))
        #expect(flow.outstanding == 2 && stores.offsets.withLockedValue { $0 }.isEmpty, "an earlier record is not done")
        flow.complete(first)
        let thirdTicket = try #require(try await third.value)
        #expect(stores.offsets.withLockedValue { $0 } == [1])
        flow.complete(thirdTicket)
        #expect(stores.offsets.withLockedValue { $0 } == [1, 2])
        #expect(flow.takeStoredSinceCommit() && !flow.takeStoredSinceCommit())
    }

    @Test func stoppingTurnsTheWaitingRecordAwayAndFailureIsThrown() async throws {
        let flow = BridgeFlow(maxOutstanding: 1) { _, _ in }
        let waiting = Task { try await flow.admit(partition, offset: 0) }
        try await Task.sleep(for: .milliseconds(50))
        flow.stop()
        #expect(try await waiting.value == nil)

        let failing = BridgeFlow(maxOutstanding: 1) { _, _ in }
        failing.fail(TestFailure("publish failed"))
        await #expect(throws: TestFailure.self) { try await failing.admit(partition, offset: 0) }
    }

    @Test func drainWaitsForOutstandingRecordsWithinItsTimeout() async throws {
        let flow = BridgeFlow(maxOutstanding: 5) { _, _ in }
        flow.setConnected(true)
        let ticket = try #require(try await flow.admit(partition, offset: 0))
        #expect(await flow.waitUntilDrained(timeout: .milliseconds(100)) == false)
        flow.complete(ticket)
        #expect(await flow.waitUntilDrained(timeout: .milliseconds(100)))
    }
}
