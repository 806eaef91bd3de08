import Foundation
import NIOCore
import XCTest

@testable import BrokerStore

final class CompactionTests: XCTestCase {
    /// Inserting and then deleting 20 000 messages of 2 KiB (about 40 MB) gives the space back:
    /// the background compaction that the deletions trigger brings the directory near its size
    /// before the inserts.
    func testDeletedMessagesDoNotAccumulateOnDisk() async throws {
        let path = try Fixtures.directory()
        let store = try BrokerStore.open(path: path, options: .init(compactionDeletionThreshold: 10_000))
        defer { store.close() }
        try await store.commit([.putSession(Fixtures.session())])
        try store.flush()
        let baseline = try Fixtures.directorySize(path)
        let count = 20_000
        for start in stride(from: 0, to: count, by: 500) {
            // Random payloads: compression must not hide the data.
            try await store.commit(
                (start..<start + 500).map { i in
                    var message = Fixtures.message(UInt64(i))
                    message.payload = Fixtures.randomPayload(2048)
                    return .putMessage(Fixtures.device, message)
                })
        }
        try store.flush()
        let full = try Fixtures.directorySize(path)
        XCTAssertGreaterThan(full, baseline + count * 2048 * 9 / 10)
        for start in stride(from: 0, to: count, by: 1000) {
            try await store.commit((start..<start + 1000).map { .deleteMessage(Fixtures.device, sequence: UInt64($0)) })
        }
        XCTAssertEqual(try store.recoverAll().sessions[Fixtures.device]?.messages.count, 0)
        // Generous slack: LOG files, a fresh WAL and the manifest grow a little.
        let limit = baseline + 2 << 20
        let deadline = ContinuousClock.now + .seconds(60)
        var size = try Fixtures.directorySize(path)
        while size > limit, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            try store.flush()
            size = try Fixtures.directorySize(path)
        }
        XCTAssertGreaterThanOrEqual(store.compactionRuns, 1)
        XCTAssertLessThanOrEqual(size, limit, "baseline \(baseline), full \(full), after deletes \(size)")
    }

    /// A deleted session's range tombstones are compacted away by an explicit compaction.
    func testCompactAfterDeleteSessionReturnsToBaseline() async throws {
        let path = try Fixtures.directory()
        let store = try BrokerStore.open(path: path)
        defer { store.close() }
        try store.flush()
        let baseline = try Fixtures.directorySize(path)
        try await store.commit(
            [.putSession(Fixtures.session())]
                + (0..<5000).map { i in
                    var message = Fixtures.message(UInt64(i))
                    message.payload = Fixtures.randomPayload(1024)
                    return .putMessage(Fixtures.device, message)
                })
        try store.flush()
        try await store.commit([.deleteSession(Fixtures.device)])
        try store.compact()
        let size = try Fixtures.directorySize(path)
        XCTAssertLessThanOrEqual(size, baseline + 2 << 20, "baseline \(baseline), after compaction \(size)")
    }
}
