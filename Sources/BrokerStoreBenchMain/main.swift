// broker-store-bench: measures the broker store (figures in docs/store.md).
//   broker-store-bench recovery DIR SESSIONS MESSAGES PAYLOAD_BYTES
//   broker-store-bench commits DIR WRITERS SECONDS
// DIR must not exist yet (it is created, and left for inspection).
import BrokerStore
import Foundation
import Logging
import NIOCore

LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
let logger: Logger = {
    var logger = Logger(label: "broker-store-bench")
    logger.logLevel = .warning
    return logger
}()

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func directorySize(_ path: String) -> Int {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
    return names.reduce(0) { $0 + (((try? FileManager.default.attributesOfItem(atPath: path + "/" + $1))?[.size] as? NSNumber)?.intValue ?? 0) }
}

func payload(_ size: Int, seed: Int) -> ByteBuffer {
    var buffer = ByteBuffer()
    var state = UInt64(truncatingIfNeeded: seed) &* 0x9E37_79B9_7F4A_7C15 | 1
    for _ in 0..<max(size / 8, 1) {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        buffer.writeInteger(state)
    }
    return buffer
}

func recoveryBench(_ path: String, sessions: Int, messages: Int, payloadSize: Int) async throws {
    let store = try BrokerStore.open(path: path, logger: logger)
    let perSession = messages / sessions
    let started = ContinuousClock.now
    var batch: [StoreMutation] = []
    for s in 0..<sessions {
        let key = SessionKey(owner: "tenant\(s % 100):device\(s)", clientID: "device\(s)")
        batch.append(
            .putSession(
                StoredSession(
                    key: key,
                    subscriptions: [
                        StoredSubscription(filter: "\(key.owner)/config", qos: .atLeastOnce)
                    ], expiryIntervalSeconds: 86_400, disconnectedAtMillis: Int64(Date().timeIntervalSince1970 * 1000))))
        for m in 0..<perSession {
            batch.append(
                .putMessage(
                    key,
                    StoredMessage(
                        sequence: UInt64(m + 1), topic: "\(key.owner)/config",
                        payload: payload(payloadSize, seed: s * 31 + m), qos: .atLeastOnce)))
        }
        if batch.count >= 20_000 {
            try await store.commit(batch)
            batch.removeAll(keepingCapacity: true)
        }
    }
    try await store.commit(batch)
    let populated = ContinuousClock.now - started
    store.close()
    print(
        String(
            format: "populate: %d sessions, %d messages of %d bytes in %.1f s; store %.1f MiB", sessions, perSession * sessions, payloadSize,
            seconds(populated), Double(directorySize(path)) / 1_048_576))

    let openStarted = ContinuousClock.now
    let reopened = try BrokerStore.open(path: path, logger: logger)
    let opened = ContinuousClock.now - openStarted
    let recoverStarted = ContinuousClock.now
    let state = try reopened.recoverAll()
    let recovered = ContinuousClock.now - recoverStarted
    let total = state.sessions.values.reduce(0) { $0 + $1.messages.count }
    print(
        String(
            format: "recovery: open %.2f s, recoverAll %.2f s (%d sessions, %d messages, %d skipped); total %.2f s",
            seconds(opened), seconds(recovered), state.sessions.count, total, state.report.skipped, seconds(opened + recovered)))
    reopened.close()
}

func commitBench(_ path: String, writers: Int, duration: Duration) async throws {
    let store = try BrokerStore.open(path: path, logger: logger)
    let key = SessionKey(owner: "tenant:device", clientID: "device")
    try await store.commit([.putSession(StoredSession(key: key, subscriptions: []))])
    let before = store.statistics
    let deadline = ContinuousClock.now + duration
    let started = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for writer in 0..<writers {
            group.addTask {
                var sequence = UInt64(writer) << 40
                let body = payload(128, seed: writer)
                while ContinuousClock.now < deadline {
                    sequence += 1
                    try await store.commit([.putMessage(key, StoredMessage(sequence: sequence, topic: "tenant:device/config", payload: body, qos: .atLeastOnce))])
                }
            }
        }
        try await group.waitForAll()
    }
    let elapsed = seconds(ContinuousClock.now - started)
    let after = store.statistics
    let commits = after.commits - before.commits
    let batches = after.batches - before.batches
    print(
        String(
            format: "commits: %d writers, %.0f commits/s, %.0f fsync'd batches/s, %.1f commits per batch", writers,
            Double(commits) / elapsed, Double(batches) / elapsed, Double(commits) / Double(max(batches, 1))))
    store.close()
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else { fail("usage: broker-store-bench recovery DIR SESSIONS MESSAGES PAYLOAD | commits DIR WRITERS SECONDS") }
guard !FileManager.default.fileExists(atPath: arguments[2]) else { fail("\(arguments[2]) exists: give a new directory") }
do {
    switch arguments[1] {
    case "recovery" where arguments.count == 6:
        guard let sessions = Int(arguments[3]), let messages = Int(arguments[4]), let size = Int(arguments[5]), sessions > 0 else { fail("bad numbers") }
        try await recoveryBench(arguments[2], sessions: sessions, messages: messages, payloadSize: size)
    case "commits" where arguments.count == 5:
        guard let writers = Int(arguments[3]), let secs = Int(arguments[4]), writers > 0 else { fail("bad numbers") }
        try await commitBench(arguments[2], writers: writers, duration: .seconds(secs))
    default:
        fail("usage: broker-store-bench recovery DIR SESSIONS MESSAGES PAYLOAD | commits DIR WRITERS SECONDS")
    }
} catch {
    fail("broker-store-bench: \(error)")
}
