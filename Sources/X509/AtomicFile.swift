import Glibc

/// Writes PEM/DER files so that readers (the broker reloading its certificates) only ever see
/// the old or the new content: a temp file beside the target, fsync, then rename.
public enum AtomicFile {
    public struct WriteError: Error, Sendable, CustomStringConvertible {
        public let path: String
        public let operation: String
        public let errno: Int32
        public var description: String { "\(operation) \(path): \(String(cString: strerror(errno)))" }
    }

    /// Private keys use `0o600`; the mode is set at creation so the content is never readable by others.
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws(WriteError) {
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw WriteError(path: temporary, operation: "create", errno: errno) }
        var failure: WriteError?
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = WriteError(path: temporary, operation: "write", errno: errno)
                    return
                }
                offset += written
            }
        }
        if failure == nil, fchmod(descriptor, mode) != 0 {  // the umask may have narrowed or widened it
            failure = WriteError(path: temporary, operation: "chmod", errno: errno)
        }
        if failure == nil, fsync(descriptor) != 0 {
            failure = WriteError(path: temporary, operation: "fsync", errno: errno)
        }
        close(descriptor)
        if failure == nil, rename(temporary, path) != 0 {
            failure = WriteError(path: path, operation: "rename into", errno: errno)
        }
        if let failure {
            unlink(temporary)
            throw failure
        }
    }

    public static func write(_ text: String, to path: String, mode: mode_t = 0o644) throws(WriteError) {
        try write(Array(text.utf8), to: path, mode: mode)
    }
}
