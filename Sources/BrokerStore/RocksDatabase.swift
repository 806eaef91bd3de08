import CRocksDB

/// The only code that calls RocksDB's C API. A `rocksdb_t` is safe to use from several threads
/// at once (writes, iterators, compaction), hence `@unchecked Sendable`; `close` must come last.
final class RocksDatabase: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    struct Tuning: Sendable {
        var backgroundThreads: Int32 = 2
        /// Files with this many deletions in a window of `deletionWindow` entries are compacted
        /// early, so that delivered messages do not linger as tombstones.
        var deletionWindow = 10_000
        var deletionsToCompact = 4_000
    }

    private let db: OpaquePointer
    private let options: OpaquePointer
    private let syncWrite: OpaquePointer
    private let readOptions: OpaquePointer
    let path: String

    init(path: String, tuning: Tuning = Tuning()) throws(Failure) {
        let options = rocksdb_options_create()!
        rocksdb_options_set_create_if_missing(options, 1)
        rocksdb_options_increase_parallelism(options, tuning.backgroundThreads)
        // A torn WAL tail after a crash is cut off at the last complete record, not an error.
        rocksdb_options_set_wal_recovery_mode(options, 2)  // kPointInTimeRecovery
        rocksdb_options_set_compression(options, Int32(rocksdb_lz4_compression))
        rocksdb_options_set_max_total_wal_size(options, 64 << 20)
        rocksdb_options_set_keep_log_file_num(options, 3)
        rocksdb_options_set_max_log_file_size(options, 4 << 20)
        rocksdb_options_add_compact_on_deletion_collector_factory(options, tuning.deletionWindow, tuning.deletionsToCompact)
        var error: UnsafeMutablePointer<CChar>?
        let db = rocksdb_open(options, path, &error)
        if let message = Self.take(error) {
            rocksdb_options_destroy(options)
            throw Failure(description: message)
        }
        guard let db else {
            rocksdb_options_destroy(options)
            throw Failure(description: "rocksdb_open returned no database")
        }
        self.db = db
        self.options = options
        self.path = path
        syncWrite = rocksdb_writeoptions_create()
        // sync=true: the WAL is fsync'd before the write returns; this is the durability point.
        rocksdb_writeoptions_set_sync(syncWrite, 1)
        readOptions = rocksdb_readoptions_create()
    }

    func close() {
        rocksdb_close(db)
        rocksdb_writeoptions_destroy(syncWrite)
        rocksdb_readoptions_destroy(readOptions)
        rocksdb_options_destroy(options)
    }

    /// Applies every operation in one atomic, fsync'd write batch.
    func write<S: Sequence>(_ groups: S) throws(Failure) where S.Element == [EncodedOperation] {
        let batch = rocksdb_writebatch_create()
        defer { rocksdb_writebatch_destroy(batch) }
        for operations in groups {
            for operation in operations {
                switch operation {
                case .put(let key, let value):
                    key.withUnsafeBufferPointer { k in
                        value.withUnsafeBufferPointer { v in
                            rocksdb_writebatch_put(batch, Self.chars(k), k.count, Self.chars(v), v.count)
                        }
                    }
                case .delete(let key):
                    key.withUnsafeBufferPointer { rocksdb_writebatch_delete(batch, Self.chars($0), $0.count) }
                case .deleteRange(let from, let to):
                    from.withUnsafeBufferPointer { f in
                        to.withUnsafeBufferPointer { t in
                            rocksdb_writebatch_delete_range(batch, Self.chars(f), f.count, Self.chars(t), t.count)
                        }
                    }
                }
            }
        }
        var error: UnsafeMutablePointer<CChar>?
        rocksdb_write(db, syncWrite, batch, &error)
        if let message = Self.take(error) { throw Failure(description: message) }
    }

    func get(_ key: [UInt8]) throws(Failure) -> [UInt8]? {
        var error: UnsafeMutablePointer<CChar>?
        var length = 0
        let value = key.withUnsafeBufferPointer { rocksdb_get(db, readOptions, Self.chars($0), $0.count, &length, &error) }
        if let message = Self.take(error) { throw Failure(description: message) }
        guard let value else { return nil }
        defer { rocksdb_free(value) }
        return Array(UnsafeRawBufferPointer(start: value, count: length))
    }

    /// Visits every key starting with `prefix` in key order. The buffers are valid only during
    /// the call (they point into RocksDB's iterator), so `body` must copy what it keeps.
    func scan(prefix: [UInt8], _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void) throws {
        let upper = KeyLayout.successor(of: prefix)
        try upper.withUnsafeBufferPointer { upperBuffer in
            let options = rocksdb_readoptions_create()
            defer { rocksdb_readoptions_destroy(options) }
            // Recovery reads everything once: do not evict the working set, read ahead sequentially.
            rocksdb_readoptions_set_fill_cache(options, 0)
            rocksdb_readoptions_set_readahead_size(options, 4 << 20)
            rocksdb_readoptions_set_iterate_upper_bound(options, Self.chars(upperBuffer), upperBuffer.count)
            let iterator = rocksdb_create_iterator(db, options)
            defer { rocksdb_iter_destroy(iterator) }
            prefix.withUnsafeBufferPointer { rocksdb_iter_seek(iterator, Self.chars($0), $0.count) }
            while rocksdb_iter_valid(iterator) != 0 {
                var keyLength = 0
                var valueLength = 0
                let key = rocksdb_iter_key(iterator, &keyLength)
                let value = rocksdb_iter_value(iterator, &valueLength)
                try body(UnsafeRawBufferPointer(start: key, count: keyLength), UnsafeRawBufferPointer(start: value, count: valueLength))
                rocksdb_iter_next(iterator)
            }
            var error: UnsafeMutablePointer<CChar>?
            rocksdb_iter_get_error(iterator, &error)
            if let message = Self.take(error) { throw Failure(description: message) }
        }
    }

    /// Writes the memtable to an SST file (so that the WAL can go and sizes are measurable).
    func flush() throws(Failure) {
        let options = rocksdb_flushoptions_create()
        defer { rocksdb_flushoptions_destroy(options) }
        rocksdb_flushoptions_set_wait(options, 1)
        var error: UnsafeMutablePointer<CChar>?
        rocksdb_flush(db, options, &error)
        if let message = Self.take(error) { throw Failure(description: message) }
    }

    /// Compacts [from, to) down to the last level, dropping deleted keys and their tombstones.
    /// Blocks until done: call it from a background thread.
    func compact(from: [UInt8], to: [UInt8]) {
        let options = rocksdb_compactoptions_create()
        defer { rocksdb_compactoptions_destroy(options) }
        // kForce: also rewrite the bottommost level, where the tombstones of a range end up.
        rocksdb_compactoptions_set_bottommost_level_compaction(options, 2)
        from.withUnsafeBufferPointer { f in
            to.withUnsafeBufferPointer { t in
                rocksdb_compact_range_opt(db, options, Self.chars(f), f.count, Self.chars(t), t.count)
            }
        }
    }

    func property(_ name: String) -> String? {
        guard let value = rocksdb_property_value(db, name) else { return nil }
        defer { rocksdb_free(value) }
        return String(cString: value)
    }

    private static func chars(_ buffer: UnsafeBufferPointer<UInt8>) -> UnsafePointer<CChar>? {
        UnsafeRawPointer(buffer.baseAddress)?.assumingMemoryBound(to: CChar.self)
    }

    private static func take(_ error: UnsafeMutablePointer<CChar>?) -> String? {
        guard let error else { return nil }
        defer { rocksdb_free(error) }
        return String(cString: error)
    }
}
