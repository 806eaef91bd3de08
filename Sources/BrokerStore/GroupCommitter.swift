import Foundation

/// One OS thread that owns all writes: it takes every commit queued since its last write, writes
/// them as one fsync'd batch, then completes all of their callers. While an fsync runs, new
/// commits queue up and share the next one, so the fsync rate, not the caller count, bounds
/// throughput. Not an event loop: an fsync takes milliseconds and would stall its connections.
final class GroupCommitter: @unchecked Sendable {
    typealias Completion = @Sendable (Result<Void, BrokerStoreError>) -> Void

    private struct Pending {
        var operations: [EncodedOperation]
        var completion: Completion
    }

    // Guarded by `condition` (hence @unchecked Sendable).
    private let condition = NSCondition()
    private var queue: [Pending] = []
    private var isClosing = false
    private var isFinished = false
    private var onFinish: (@Sendable () -> Void)?
    private var thread: Thread?
    private var statistics = CommitStatistics()

    private let database: RocksDatabase
    private let afterWrite: @Sendable (_ deletions: Int) -> Void

    init(database: RocksDatabase, afterWrite: @escaping @Sendable (_ deletions: Int) -> Void) {
        self.database = database
        self.afterWrite = afterWrite
        let thread = Thread { [self] in run() }
        thread.name = "broker-store-committer"
        self.thread = thread
        thread.start()
    }

    /// Queues a commit; `completion` runs on the committer thread once the batch is on disk.
    func submit(_ operations: [EncodedOperation], completion: @escaping Completion) {
        condition.lock()
        guard !isClosing else {
            condition.unlock()
            completion(.failure(.closed(path: database.path)))
            return
        }
        queue.append(Pending(operations: operations, completion: completion))
        condition.signal()
        condition.unlock()
    }

    var currentStatistics: CommitStatistics {
        condition.lock()
        defer { condition.unlock() }
        return statistics
    }

    /// Writes what is queued, runs `finish` on the committer thread (closing the database there,
    /// after its last write), and blocks until then. Called from a completion (the last reference
    /// to the store released on the committer thread), it returns at once instead of deadlocking.
    func close(then finish: @escaping @Sendable () -> Void) {
        condition.lock()
        defer { condition.unlock() }
        guard !isClosing else { return }
        isClosing = true
        onFinish = finish
        condition.broadcast()
        guard Thread.current !== thread else { return }
        while !isFinished { condition.wait() }
    }

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty && !isClosing { condition.wait() }
            if queue.isEmpty {
                let finish = onFinish
                condition.unlock()
                finish?()
                condition.lock()
                isFinished = true
                thread = nil
                condition.broadcast()
                condition.unlock()
                return
            }
            let group = queue
            queue = []
            condition.unlock()
            write(group)
        }
    }

    private func write(_ group: [Pending]) {
        let result: Result<Void, BrokerStoreError>
        do {
            try database.write(group.lazy.map(\.operations))
            result = .success(())
        } catch {
            result = .failure(.writeFailed(path: database.path, reason: error.description))
        }
        var deletions = 0
        var mutations = 0
        for pending in group {
            mutations += pending.operations.count
            for operation in pending.operations { deletions += operation.deletionWeight }
        }
        condition.lock()
        statistics.commits += group.count
        statistics.batches += 1
        statistics.operations += mutations
        if case .failure = result { statistics.failedBatches += 1 }
        condition.unlock()
        for pending in group { pending.completion(result) }
        if case .success = result, deletions > 0 { afterWrite(deletions) }
    }
}

/// Counters of the committer: `commits / batches` is the mean group size (callers per fsync).
public struct CommitStatistics: Sendable, Equatable {
    public var commits = 0
    public var batches = 0
    public var operations = 0
    public var failedBatches = 0
}
