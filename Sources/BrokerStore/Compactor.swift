import Foundation

/// Triggers a manual compaction of the session data after many deletions. RocksDB compacts by
/// itself too (and the deletion collector marks tombstone-heavy files); this makes sure a large
/// burst of deliveries or deleted sessions gives its space back soon, not whenever the next
/// level fills. Runs on its own thread so that commits never wait for it.
final class Compactor: @unchecked Sendable {
    private let database: RocksDatabase
    private let threshold: Int
    // Guarded by `lock`.
    private let lock = NSLock()
    private var deletionsSinceCompaction = 0
    private var isRunning = false
    private var completedRuns = 0

    init(database: RocksDatabase, threshold: Int) {
        self.database = database
        self.threshold = threshold
    }

    var runs: Int { lock.withLock { completedRuns } }

    /// Called by the committer after each batch. A compaction rewrites the live data too, so it
    /// starts only once at least as many keys were deleted as are live (RocksDB's estimate): its
    /// cost then stays within twice the garbage it removes, however large the store.
    func noteDeletions(_ count: Int) {
        let due = lock.withLock { () -> Bool in
            deletionsSinceCompaction += count
            return !isRunning && deletionsSinceCompaction >= threshold
        }
        guard due else { return }
        let live = database.property("rocksdb.estimate-num-keys").flatMap { Int($0) } ?? 0
        let start = lock.withLock { () -> Bool in
            guard !isRunning, deletionsSinceCompaction >= max(threshold, live) else { return false }
            isRunning = true
            deletionsSinceCompaction = 0
            return true
        }
        guard start else { return }
        let thread = Thread { [self] in
            compactNow()
            lock.withLock {
                isRunning = false
                completedRuns += 1
            }
        }
        thread.name = "broker-store-compaction"
        thread.start()
    }

    /// Compacts the kinds that see deletions (inbound ids, messages, retained, sessions: the
    /// contiguous range I..S), blocking the calling thread.
    func compactNow() {
        database.compact(from: KeyLayout.kindPrefix(.inboundQoS2), to: KeyLayout.successor(of: KeyLayout.kindPrefix(.session)))
    }

    /// Whether a background compaction is still running (close waits for it).
    var isBusy: Bool { lock.withLock { isRunning } }
}
