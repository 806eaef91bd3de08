import BrokerStore
import Foundation
import NIOConcurrencyHelpers
import TestSupport
import XCTest

final class CrashDurabilityTests: XCTestCase {
    /// A child process commits from 8 concurrent writers and prints every acknowledged sequence;
    /// it is SIGKILLed mid-stream. Every sequence it printed must be in the store afterwards.
    func testEveryAcknowledgedCommitSurvivesSIGKILL() async throws {
        let path = try Fixtures.directory()
        let lines = AcknowledgedLines()
        let process = try await ChildProcess.spawn(
            try BuiltProducts.path("broker-store-crash-helper"), [path, "1000000", "8"],
            output: .handler { lines.append(Data($0)) }, error: .captured)

        let deadline = ContinuousClock.now + .seconds(30)
        while lines.count < 2000, ContinuousClock.now < deadline, !process.hasExited { try await Task.sleep(for: .milliseconds(10)) }
        XCTAssertFalse(process.hasExited, "the helper exited before the kill (status \(process.exitStatus ?? 0)): \(process.standardError)")
        let status = await process.stop(SIGKILL)
        XCTAssertEqual(status, 128 + SIGKILL)
        // The exit is recorded once everything the child wrote has been read (EOF).
        XCTAssertTrue(process.hasExited, "stdout did not reach EOF")

        let acknowledged = lines.sequences
        XCTAssertGreaterThanOrEqual(acknowledged.count, 2000)
        let store = try BrokerStore.open(path: path)
        defer { store.close() }
        let state = try store.recoverAll()
        let stored = Set(state.sessions[SessionKey(owner: "crash:test", clientID: "device")]?.messages.map(\.sequence) ?? [])
        let missing = acknowledged.subtracting(stored)
        XCTAssertTrue(missing.isEmpty, "\(missing.count) of \(acknowledged.count) acknowledged commits lost, e.g. \(missing.sorted().prefix(10))")
        XCTAssertEqual(state.report.skipped, 0)
    }
}

/// The helper's stdout, split into "ack N" lines as it arrives.
private final class AcknowledgedLines: Sendable {
    private struct State {
        var pending = Data()
        var sequences = Set<UInt64>()
    }

    private let state = NIOLockedValueBox(State())

    var count: Int { state.withLockedValue { $0.sequences.count } }
    var sequences: Set<UInt64> { state.withLockedValue { $0.sequences } }

    func append(_ data: Data) {
        state.withLockedValue { state in
            state.pending.append(data)
            while let newline = state.pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: state.pending[state.pending.startIndex..<newline], as: UTF8.self)
                state.pending.removeSubrange(state.pending.startIndex...newline)
                if line.hasPrefix("ack "), let sequence = UInt64(line.dropFirst(4)) { state.sequences.insert(sequence) }
            }
        }
    }
}
