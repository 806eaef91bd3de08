import Foundation

/// A dedicated OS thread for librdkafka's blocking queue polls, so that they never occupy an NIO
/// event loop or a thread of the Swift concurrency pool.
enum KafkaPollThread {
    /// Starts `body` on a new thread; `finished` completes when it returns.
    static func start(name: String, finished: CompletionSignal, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread {
            body()
            finished.complete()
        }
        thread.name = name
        thread.start()
    }

    /// Runs a blocking librdkafka call (flush, synchronous commit) on a short-lived thread and
    /// awaits its result without blocking the caller's executor. For cold paths only.
    static func runBlocking<Value: Sendable>(name: String, _ body: @escaping @Sendable () -> Value) async -> Value {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: body()) }
            thread.name = name
            thread.start()
        }
    }
}
