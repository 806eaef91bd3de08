import Foundation
import NIOCore
import XCTest

@testable import BrokerStore

final class OpenAndCorruptionTests: XCTestCase {
    private func assertOpenFails(_ path: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            let store = try BrokerStore.open(path: path)
            store.close()
            XCTFail("opening \(path) succeeded", file: file, line: line)
        } catch {
            XCTAssertTrue(error.description.contains(path), "error does not name the path: \(error)", file: file, line: line)
        }
    }

    func testDirectoryWithForeignFilesIsNotAStore() throws {
        let path = try Fixtures.directory()
        try Data("hello".utf8).write(to: URL(fileURLWithPath: path + "/notes.txt"))
        assertOpenFails(path)
        XCTAssertThrowsError(try BrokerStore.open(path: path)) { XCTAssertEqual($0 as? BrokerStoreError, .notAStore(path: path)) }
    }

    func testGarbageCurrentAndManifestAreReportedWithThePath() async throws {
        let path = try Fixtures.directory()
        let store = try BrokerStore.open(path: path)
        try await store.commit([.putSession(Fixtures.session())])
        store.close()
        for name in try FileManager.default.contentsOfDirectory(atPath: path) where name == "CURRENT" || name.hasPrefix("MANIFEST") {
            try Data(repeating: 0xA5, count: 4096).write(to: URL(fileURLWithPath: path + "/" + name))
        }
        assertOpenFails(path)
    }

    func testGarbageTableFileIsReportedWithThePath() async throws {
        let path = try Fixtures.directory()
        let store = try BrokerStore.open(path: path)
        try await store.commit([.putSession(Fixtures.session())] + (1...100).map { .putMessage(Fixtures.device, Fixtures.message($0)) })
        try store.flush()
        store.close()
        let tables = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".sst") }
        XCTAssertFalse(tables.isEmpty)
        for name in tables { try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: path + "/" + name)) }
        // Either open or the recovery read must fail, naming the path; never a crash.
        do {
            let reopened = try BrokerStore.open(path: path)
            defer { reopened.close() }
            _ = try reopened.recoverAll()
            XCTFail("a store with garbage table files was read")
        } catch {
            XCTAssertTrue("\(error)".contains(path), "error does not name the path: \(error)")
        }
    }

    func testPathThatIsAFileOrUnderAFileFails() throws {
        let file = try Fixtures.directory() + "/plain-file"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        assertOpenFails(file)
        assertOpenFails(file + "/store")
    }

    func testUnreadableDirectoryFails() throws {
        // root reads any directory, whatever its mode.
        try XCTSkipIf(geteuid() == 0, "running as root: permissions are not enforced")
        let path = try Fixtures.directory()
        chmod(path, 0)
        defer { chmod(path, 0o755) }
        assertOpenFails(path)
    }

    func testSecondOpenOfTheSameStoreFailsOnTheLock() throws {
        let path = try Fixtures.directory()
        let store = try BrokerStore.open(path: path)
        defer { store.close() }
        assertOpenFails(path)
    }

    func testTornWALTailIsCutOff() async throws {
        let path = try Fixtures.directory()
        let store = try BrokerStore.open(path: path)
        try await store.commit([.putSession(Fixtures.session())] + (1...10).map { .putMessage(Fixtures.device, Fixtures.message($0)) })
        store.close()
        // A crash in the middle of a WAL append leaves a partial record at the end of the log.
        let logs = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".log") }
        XCTAssertFalse(logs.isEmpty)
        for name in logs {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path + "/" + name))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x01, 0xFF, 0xEE]))
            try handle.close()
        }
        let reopened = try BrokerStore.open(path: path)
        defer { reopened.close() }
        XCTAssertEqual(try reopened.recoverAll().sessions[Fixtures.device]?.messages.count, 10)
    }

    func testUndecodableValuesAreSkippedAndCounted() async throws {
        let store = try BrokerStore.open(path: try Fixtures.directory())
        defer { store.close() }
        try await store.commit([.putSession(Fixtures.session()), .putMessage(Fixtures.device, Fixtures.message(1))])
        let bad = KeyLayout.message(Fixtures.device, sequence: 2)
        let badVersion = KeyLayout.message(Fixtures.device, sequence: 3)
        let orphan = KeyLayout.message(Fixtures.other, sequence: 1)
        try store.database.write([
            [
                .put(key: bad, value: [1, 1, 0, 0, 0xFF, 0xFF, 0xFF]),
                .put(key: badVersion, value: [9, 1, 0, 0]),
                .put(key: orphan, value: ValueCodec.encode(Fixtures.message(1))),
                .put(key: KeyLayout.session(SessionKey(owner: "x", clientID: "y")), value: []),
                .put(key: [KeyKind.message.rawValue, 0, 0], value: []),
                .put(key: KeyLayout.retained(topic: "t"), value: [1, 7]),
            ]
        ])
        let state = try store.recoverAll()
        XCTAssertEqual(state.sessions.count, 1)
        XCTAssertEqual(state.sessions[Fixtures.device]?.messages, [Fixtures.message(1)])
        XCTAssertEqual(state.report.skipped, 5)
        XCTAssertEqual(state.report.orphaned, 1)
        XCTAssertEqual(state.retained, [])
    }

    func testNewerFormatIsRefused() throws {
        let path = try Fixtures.directory()
        let store = try BrokerStore.open(path: path)
        try store.database.write([[.put(key: KeyLayout.formatKey, value: [200])]])
        store.close()
        XCTAssertThrowsError(try BrokerStore.open(path: path)) {
            XCTAssertEqual($0 as? BrokerStoreError, .unsupportedFormat(path: path, version: 200))
        }
    }
}
