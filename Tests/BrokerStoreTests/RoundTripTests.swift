import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import XCTest

@testable import BrokerStore

final class RoundTripTests: XCTestCase {
    func testEveryKindSurvivesCloseAndReopen() async throws {
        let path = try Fixtures.directory()
        let retained = RetainedMessage(topic: "tenant:device/config", payload: ByteBuffer(string: "{\"led\":1}"), qos: .exactlyOnce)
        var sent = Fixtures.message(2)
        sent.packetID = 7
        sent.stage = .pubrelSent
        sent.qos = .exactlyOnce
        sent.retain = true
        sent.sharedGroup = StoredSharedGroup(group: "v2k", filter: "+/attrs")
        do {
            let store = try BrokerStore.open(path: path)
            try await store.commit([
                .putSession(Fixtures.session()),
                .putMessage(Fixtures.device, Fixtures.message(1)),
                .putMessage(Fixtures.device, sent),
                .putInboundQoS2(Fixtures.device, packetID: 42),
                .putInboundQoS2(Fixtures.device, packetID: 43),
                .putRetained(retained),
            ])
            store.close()
        }
        let store = try BrokerStore.open(path: path)
        defer { store.close() }
        let state = try store.recoverAll()
        XCTAssertEqual(state.report.sessions, 1)
        XCTAssertEqual(state.report.messages, 2)
        XCTAssertEqual(state.report.skipped, 0)
        let recovered = try XCTUnwrap(state.sessions[Fixtures.device])
        XCTAssertEqual(recovered.session, Fixtures.session())
        XCTAssertEqual(recovered.messages, [Fixtures.message(1), sent])
        XCTAssertEqual(recovered.inboundQoS2, [42, 43])
        XCTAssertEqual(recovered.nextSequence, 3)
        XCTAssertEqual(state.retained, [retained])
    }

    func testPutsReplaceAndDeletesRemoveEachKind() async throws {
        let store = try BrokerStore.open(path: try Fixtures.directory())
        defer { store.close() }
        var updated = Fixtures.message(1)
        updated.stage = .sent
        updated.packetID = 1
        try await store.commit([
            .putSession(Fixtures.session()), .putMessage(Fixtures.device, Fixtures.message(1)), .putMessage(Fixtures.device, Fixtures.message(2)),
            .putInboundQoS2(Fixtures.device, packetID: 5), .putRetained(RetainedMessage(topic: "a/b", payload: ByteBuffer(string: "x"), qos: .atLeastOnce)),
        ])
        try await store.commit([
            .putMessage(Fixtures.device, updated), .deleteMessage(Fixtures.device, sequence: 2),
            .deleteInboundQoS2(Fixtures.device, packetID: 5), .deleteRetained(topic: "a/b"),
        ])
        let state = try store.recoverAll()
        XCTAssertEqual(state.sessions[Fixtures.device]?.messages, [updated])
        XCTAssertEqual(state.sessions[Fixtures.device]?.inboundQoS2, [])
        XCTAssertEqual(state.retained, [])
    }

    func testDeleteSessionRemovesEverythingOfThatSessionOnly() async throws {
        let store = try BrokerStore.open(path: try Fixtures.directory())
        defer { store.close() }
        // Keys whose bytes would collide without length prefixes ("ab"+"c" vs "a"+"bc").
        let lookalikes = [
            SessionKey(owner: "ab", clientID: "c"), SessionKey(owner: "a", clientID: "bc"),
            SessionKey(owner: Fixtures.device.owner, clientID: Fixtures.device.clientID + "0"),
        ]
        for key in [Fixtures.device, Fixtures.other] + lookalikes {
            try await store.commit(
                [.putSession(Fixtures.session(key)), .putInboundQoS2(key, packetID: 1)]
                    + (1...50).map { .putMessage(key, Fixtures.message($0)) })
        }
        try await store.commit([.deleteSession(Fixtures.device), .deleteSession(lookalikes[0])])
        let state = try store.recoverAll()
        XCTAssertNil(state.sessions[Fixtures.device])
        XCTAssertNil(state.sessions[lookalikes[0]])
        for key in [Fixtures.other, lookalikes[1], lookalikes[2]] {
            XCTAssertEqual(state.sessions[key]?.messages.count, 50, "\(key)")
            XCTAssertEqual(state.sessions[key]?.inboundQoS2, [1])
        }
        XCTAssertEqual(state.report.orphaned, 0)
        XCTAssertEqual(state.report.messages, 150)
    }

    func testMessagesComeBackInSequenceOrder() async throws {
        let store = try BrokerStore.open(path: try Fixtures.directory())
        defer { store.close() }
        // Sequences across byte boundaries: big-endian keys must sort them numerically.
        let sequences: [UInt64] = [300, 1, 255, 256, 65_536, 2, UInt64(UInt32.max) + 1]
        try await store.commit([.putSession(Fixtures.session())] + sequences.map { .putMessage(Fixtures.device, Fixtures.message($0)) })
        let state = try store.recoverAll()
        XCTAssertEqual(state.sessions[Fixtures.device]?.messages.map(\.sequence), sequences.sorted())
    }

    func testEventLoopFutureCommitsCompleteOnTheirLoop() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        let store = try BrokerStore.open(path: try Fixtures.directory())
        defer { store.close() }
        let futures = (0..<100).map { i in
            store.commit([.putMessage(Fixtures.device, Fixtures.message(UInt64(i)))], on: loop).map { loop.inEventLoop }
        }
        let onLoop = try EventLoopFuture.whenAllSucceed(futures, on: loop).wait()
        XCTAssertTrue(onLoop.allSatisfy { $0 })
    }

    func testConcurrentCommitsShareFsyncs() async throws {
        let store = try BrokerStore.open(path: try Fixtures.directory())
        defer { store.close() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<50 {
                group.addTask {
                    for i in 0..<20 { try await store.commit([.putMessage(Fixtures.device, Fixtures.message(UInt64(writer * 100 + i)))]) }
                }
            }
            try await group.waitForAll()
        }
        let statistics = store.statistics
        XCTAssertEqual(statistics.commits, 1000)
        XCTAssertLessThan(statistics.batches, statistics.commits, "50 concurrent writers never shared a batch")
    }

    func testCloseWritesCommitsQueuedBeforeIt() throws {
        let path = try Fixtures.directory()
        let store = try BrokerStore.open(path: path)
        let results = NIOLockedValueBox<[Result<Void, BrokerStoreError>]>([])
        store.commit([.putSession(Fixtures.session())]) { _ in }
        for i in 0..<200 {
            store.commit([.putMessage(Fixtures.device, Fixtures.message(UInt64(i)))]) { result in results.withLockedValue { $0.append(result) } }
        }
        store.close()
        let collected = results.withLockedValue { $0 }
        XCTAssertEqual(collected.count, 200)
        XCTAssertTrue(collected.allSatisfy { (try? $0.get()) != nil })
        let reopened = try BrokerStore.open(path: path)
        defer { reopened.close() }
        XCTAssertEqual(try reopened.recoverAll().sessions[Fixtures.device]?.messages.count, 200)
    }

    func testRecoverStreamsSessionsBeforeTheirRecords() async throws {
        let store = try BrokerStore.open(path: try Fixtures.directory())
        defer { store.close() }
        try await store.commit([
            .putRetained(RetainedMessage(topic: "a", payload: ByteBuffer(), qos: .atLeastOnce)),
            .putInboundQoS2(Fixtures.device, packetID: 9), .putMessage(Fixtures.device, Fixtures.message(1)), .putSession(Fixtures.session()),
        ])
        var kinds: [String] = []
        let report = try store.recover { record in
            switch record {
            case .session: kinds.append("session")
            case .message: kinds.append("message")
            case .inboundQoS2: kinds.append("inbound")
            case .retained: kinds.append("retained")
            }
        }
        XCTAssertEqual(kinds, ["session", "message", "inbound", "retained"])
        XCTAssertEqual(report.retained, 1)
    }

    /// The last reference to the store dropped inside a completion (on the committer thread)
    /// must close it there without deadlocking.
    func testLastReferenceReleasedInACompletionDoesNotDeadlock() throws {
        let path = try Fixtures.directory()
        let done = DispatchSemaphore(value: 0)
        do {
            let store = try BrokerStore.open(path: path)
            let holder = NIOLockedValueBox<BrokerStore?>(store)
            store.commit([.putSession(Fixtures.session())]) { _ in
                holder.withLockedValue { $0 = nil }
                done.signal()
            }
        }
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
        // The database is closed once its lock is free: a new open succeeds (bounded wait).
        let deadline = Date().addingTimeInterval(10)
        var reopened: BrokerStore?
        while reopened == nil, Date() < deadline {
            reopened = try? BrokerStore.open(path: path)
            if reopened == nil { Thread.sleep(forTimeInterval: 0.02) }
        }
        XCTAssertNotNil(reopened)
        reopened?.close()
    }

    func testCommitAfterCloseFailsWithClosed() async throws {
        let path = try Fixtures.directory()
        let store = try BrokerStore.open(path: path)
        store.close()
        do {
            try await store.commit([.deleteRetained(topic: "x")])
            XCTFail("commit after close succeeded")
        } catch {
            XCTAssertEqual(error, .closed(path: path))
        }
    }
}
