/// Errors of the broker store. Every error about the store's files names its path.
public enum BrokerStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// RocksDB (or the file system) refused to open the store: permissions, corruption, a lock.
    case cannotOpen(path: String, reason: String)
    /// The directory holds files, but no RocksDB database: refusing to write into it.
    case notAStore(path: String)
    /// The store was written by a newer format version than this build understands.
    case unsupportedFormat(path: String, version: UInt8)
    /// A write batch failed (disk full, I/O error); nothing of it is acknowledged.
    case writeFailed(path: String, reason: String)
    /// Reading the store at recovery failed (not a single bad value: those are skipped).
    case readFailed(path: String, reason: String)
    /// The store is closed (or closing); the commit was not applied.
    case closed(path: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): "cannot open the broker store at \(path): \(reason)"
        case .notAStore(let path): "cannot open the broker store at \(path): the directory is not empty and holds no RocksDB database"
        case .unsupportedFormat(let path, let version): "cannot open the broker store at \(path): format version \(version) is newer than this broker supports"
        case .writeFailed(let path, let reason): "writing to the broker store at \(path) failed: \(reason)"
        case .readFailed(let path, let reason): "reading the broker store at \(path) failed: \(reason)"
        case .closed(let path): "the broker store at \(path) is closed"
        }
    }
}
