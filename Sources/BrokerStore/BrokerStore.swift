import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The broker's durable store: persistent sessions, their outgoing QoS 1/2 messages and inbound
/// QoS 2 ids, and retained messages, in one RocksDB database.
///
/// Writes go through `commit`: every call is one atomic batch; calls arriving while an fsync runs
/// are written together with one fsync, and complete when it has returned. Callers never block:
/// completions run on the committer thread (or hop to the caller's event loop).
public final class BrokerStore: Sendable {
    public struct Options: Sendable {
        /// Deletions (delivered messages, deleted sessions...) after which the session data is
        /// compacted in the background.
        public var compactionDeletionThreshold: Int

        public init(compactionDeletionThreshold: Int = 200_000) {
            self.compactionDeletionThreshold = compactionDeletionThreshold
        }
    }

    static let formatVersion: UInt8 = 1

    public let path: String
    let database: RocksDatabase
    let logger: Logger
    private let committer: GroupCommitter
    private let compactor: Compactor
    private let isClosed = NIOLockedValueBox(false)

    private init(path: String, database: RocksDatabase, options: Options, logger: Logger) {
        self.path = path
        self.database = database
        self.logger = logger
        let compactor = Compactor(database: database, threshold: options.compactionDeletionThreshold)
        self.compactor = compactor
        committer = GroupCommitter(database: database) { compactor.noteDeletions($0) }
    }

    deinit { close() }

    /// Opens (or creates) the store in the directory `path`. Throws an error naming the path
    /// when the directory cannot be used: not readable, not a RocksDB database, corrupted, locked
    /// by another process, or written by a newer format.
    public static func open(path: String, options: Options = Options(), logger: Logger = Logger(label: "broker.store")) throws(BrokerStoreError) -> BrokerStore {
        try StoreDirectory.prepare(path)
        let database: RocksDatabase
        do {
            database = try RocksDatabase(path: path)
        } catch {
            throw .cannotOpen(path: path, reason: error.description)
        }
        do {
            try checkFormat(database)
        } catch {
            database.close()
            throw error
        }
        logger.info("broker store open", metadata: ["path": "\(path)"])
        return BrokerStore(path: path, database: database, options: options, logger: logger)
    }

    private static func checkFormat(_ database: RocksDatabase) throws(BrokerStoreError) {
        do {
            if let stored = try database.get(KeyLayout.formatKey) {
                guard let version = stored.first, version <= formatVersion else {
                    throw BrokerStoreError.unsupportedFormat(path: database.path, version: stored.first ?? 0)
                }
            } else {
                try database.write([[.put(key: KeyLayout.formatKey, value: [formatVersion])]])
            }
        } catch let error as BrokerStoreError {
            throw error
        } catch {
            throw .cannotOpen(path: database.path, reason: "\(error)")
        }
    }

    /// Applies `mutations` atomically and durably; `completion` runs on the committer thread
    /// after the fsync (keep it short: hand over to your own loop or task).
    public func commit(_ mutations: [StoreMutation], completion: @escaping @Sendable (Result<Void, BrokerStoreError>) -> Void) {
        committer.submit(EncodedOperation.encode(mutations), completion: completion)
    }

    /// Like `commit(_:completion:)`, completing a future of `eventLoop` (callbacks run there).
    public func commit(_ mutations: [StoreMutation], on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        commit(mutations) { result in promise.completeWith(result.mapError { $0 as any Error }) }
        return promise.futureResult
    }

    public func commit(_ mutations: [StoreMutation]) async throws(BrokerStoreError) {
        let result = await withCheckedContinuation { continuation in
            commit(mutations) { continuation.resume(returning: $0) }
        }
        try result.get()
    }

    /// Commit counters (group sizes) since open.
    public var statistics: CommitStatistics { committer.currentStatistics }

    /// Background compactions completed since open.
    public var compactionRuns: Int { compactor.runs }

    /// Writes the memtable to disk (the WAL already holds it; this lets the WAL go).
    public func flush() throws(BrokerStoreError) {
        do { try database.flush() } catch { throw .writeFailed(path: path, reason: error.description) }
    }

    /// Flushes and compacts all session data now, blocking the calling thread (not an event loop).
    public func compact() throws(BrokerStoreError) {
        try flush()
        compactor.compactNow()
    }

    /// Finishes queued commits, waits for a running compaction, and closes the database.
    /// Commits after this fail with `.closed`.
    public func close() {
        let first = isClosed.withLockedValue { closed in
            defer { closed = true }
            return !closed
        }
        guard first else { return }
        let compactor = compactor
        let database = database
        committer.close {
            // A running manual compaction uses the database: it must end before the close.
            while compactor.isBusy { Thread.sleep(forTimeInterval: 0.01) }
            database.close()
        }
    }
}
