import CLibCrypto

/// A libcrypto failure: what we were doing, and OpenSSL's error queue at that moment.
public struct X509Error: Error, Sendable, CustomStringConvertible {
    /// The operation that failed, e.g. "parse certificate PEM".
    public let operation: String
    /// OpenSSL's error queue, oldest first, joined by "; " (empty when OpenSSL queued nothing).
    public let openSSLErrors: String

    public var description: String {
        openSSLErrors.isEmpty ? "X.509: \(operation) failed" : "X.509: \(operation) failed: \(openSSLErrors)"
    }

    /// Drains this thread's OpenSSL error queue into the error, so that a later failure does not
    /// report stale entries.
    static func openSSL(_ operation: String) -> X509Error {
        X509Error(operation: operation, openSSLErrors: drainErrorQueue())
    }

    /// A failure found by our own checks (bad input), not by OpenSSL.
    static func invalidInput(_ operation: String, _ detail: String) -> X509Error {
        ERR_clear_error()
        return X509Error(operation: operation, openSSLErrors: detail)
    }

    static func drainErrorQueue() -> String {
        var messages: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(String(cString: buffer))
        }
        return messages.joined(separator: "; ")
    }
}
