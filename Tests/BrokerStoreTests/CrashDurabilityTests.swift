import BrokerStore
import Foundation
import NIOConcurrencyHelpers
import XCTest

final class CrashDurabilityTests: XCTestCase {
    /// A child process commits from 8 concurrent writers and prints every acknowledged sequence;
    /// it is SIGKILLed mid-stream. Every sequence it printed must be in the store afterwards.
    func testEveryAcknowledgedCommitSurvivesSIGKILL() throws {
        let path = try Fixtures.directory()
        let process = Process()
        process.executableURL = try Executables.find("broker-store-crash-helper")
        process.arguments = [path, "1000000", "8"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()

        let lines = AcknowledgedLines()
        let reader = Thread {
            // Ends at EOF: after the kill, once everything the child wrote has been read.
            while true {
                let data = output.fileHandleForReading.availableData
                if data.isEmpty { break }
                lines.append(data)
            }
            lines.finish()
        }
        reader.start()

        let deadline = Date().addingTimeInterval(30)
        while lines.count < 2000, Date() < deadline, process.isRunning { Thread.sleep(forTimeInterval: 0.01) }
        XCTAssertTrue(process.isRunning, "the helper exited before the kill (status \(process.terminationStatus))")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)
        XCTAssertTrue(lines.waitFinished(timeout: 10), "stdout did not reach EOF")

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
        var finished = false
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

    func finish() { state.withLockedValue { $0.finished = true } }

    func waitFinished(timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if state.withLockedValue({ $0.finished }) { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return false
    }
}
