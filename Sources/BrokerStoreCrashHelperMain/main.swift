// broker-store-crash-helper PATH COUNT WRITERS
// Commits COUNT messages to the store at PATH from WRITERS concurrent tasks, and prints
// "ack <sequence>" for each one only after its commit has completed (is on disk). The crash
// durability test SIGKILLs it mid-stream and checks that every printed sequence survived.
import BrokerStore
import Foundation
import NIOCore

let arguments = CommandLine.arguments
guard arguments.count == 4, let count = Int(arguments[2]), let writers = Int(arguments[3]), writers > 0 else {
    FileHandle.standardError.write(Data("usage: broker-store-crash-helper PATH COUNT WRITERS\n".utf8))
    exit(2)
}
let session = SessionKey(owner: "crash:test", clientID: "device")

do {
    let store = try BrokerStore.open(path: arguments[1])
    try await store.commit([.putSession(StoredSession(key: session, subscriptions: [StoredSubscription(filter: "crash:test/config", qos: .atLeastOnce)]))])
    try await withThrowingTaskGroup(of: Void.self) { group in
        for writer in 0..<writers {
            group.addTask {
                for sequence in stride(from: writer, to: count, by: writers) {
                    let message = StoredMessage(
                        sequence: UInt64(sequence), topic: "crash:test/config",
                        payload: ByteBuffer(string: "message \(sequence)"), qos: .atLeastOnce)
                    try await store.commit([.putMessage(session, message)])
                    // One write(2) per line, unbuffered: what the parent reads was acknowledged.
                    FileHandle.standardOutput.write(Data("ack \(sequence)\n".utf8))
                }
            }
        }
        try await group.waitForAll()
    }
    store.close()
} catch {
    FileHandle.standardError.write(Data("broker-store-crash-helper: \(error)\n".utf8))
    exit(1)
}
