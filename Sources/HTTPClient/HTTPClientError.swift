/// A request that did not produce an HTTP response. HTTP error statuses are not errors: they
/// come back as `HTTPResponse`.
public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// curl failed: connection refused, timeout, TLS, ...; `code` is the CURLcode.
        case transfer(code: Int)
        case responseTooLarge
        case invalidRequest
    }

    public let kind: Kind
    public let method: HTTPMethod
    public let url: String
    /// curl's detailed message (its error buffer), or ours.
    public let message: String

    public var description: String { "\(method.rawValue) \(url): \(message)" }

    /// curl gave up on the connect or total timeout (CURLE_OPERATION_TIMEDOUT).
    public var isTimeout: Bool { kind == .transfer(code: 28) }
}
