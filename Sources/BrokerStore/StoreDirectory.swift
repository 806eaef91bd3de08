import Foundation

/// Checks the store's directory before RocksDB opens it, so that a wrong path fails with a clear
/// error instead of RocksDB creating a database among someone else's files.
enum StoreDirectory {
    static func prepare(_ path: String) throws(BrokerStoreError) {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
            do {
                try manager.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw .cannotOpen(path: path, reason: "cannot create the directory: \(reason(error))")
            }
            return
        }
        guard isDirectory.boolValue else { throw .cannotOpen(path: path, reason: "not a directory") }
        guard manager.isReadableFile(atPath: path), manager.isWritableFile(atPath: path), manager.isExecutableFile(atPath: path) else {
            throw .cannotOpen(path: path, reason: "permission denied (the directory must be readable and writable)")
        }
        let entries: [String]
        do {
            entries = try manager.contentsOfDirectory(atPath: path)
        } catch {
            throw .cannotOpen(path: path, reason: "cannot list the directory: \(reason(error))")
        }
        // lost+found: a freshly formatted volume mounted as the data directory has one.
        let foreign = entries.filter { $0 != "lost+found" }
        if !foreign.isEmpty, !foreign.contains("CURRENT") { throw .notAStore(path: path) }
    }

    private static func reason(_ error: any Error) -> String {
        (error as NSError).localizedFailureReason ?? error.localizedDescription
    }
}
