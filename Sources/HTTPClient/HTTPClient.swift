import NIOPosix

/// An HTTP/1.1 and HTTPS client over libcurl. Each request runs the blocking
/// `curl_easy_perform` on a thread of a small pool, so callers (and event loops) only await.
public struct HTTPClient: Sendable {
    public let configuration: HTTPClientConfiguration
    private let threadPool: NIOThreadPool

    /// Shared by all clients that do not bring their own pool; never shut down. Each thread
    /// carries one transfer at a time, so a few slow servers do not hold up the others.
    private static let defaultThreadPool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 4)
        pool.start()
        return pool
    }()

    public init(configuration: HTTPClientConfiguration = HTTPClientConfiguration(), threadPool: NIOThreadPool? = nil) {
        self.configuration = configuration
        self.threadPool = threadPool ?? Self.defaultThreadPool
    }

    public func execute(_ request: HTTPRequest) async throws(HTTPClientError) -> HTTPResponse {
        let configuration = self.configuration
        let outcome: Result<HTTPResponse, HTTPClientError>
        do {
            outcome = try await threadPool.runIfActive {
                Result { () throws(HTTPClientError) in try CurlEasy.perform(request, configuration: configuration) }
            }
        } catch {
            throw HTTPClientError(
                kind: .invalidRequest, method: request.method, url: request.url, message: "thread pool unavailable: \(error)")
        }
        return try outcome.get()
    }

    /// GET, asking for JSON.
    public func get(_ url: String, headers: [(name: String, value: String)] = []) async throws(HTTPClientError) -> HTTPResponse {
        try await execute(HTTPRequest(method: .get, url: url, headers: [("Accept", "application/json")] + headers))
    }

    /// POSTs a JSON body (already encoded), asking for JSON.
    public func post(_ url: String, json: [UInt8], headers: [(name: String, value: String)] = []) async throws(HTTPClientError) -> HTTPResponse {
        try await execute(
            HTTPRequest(
                method: .post, url: url,
                headers: [("Content-Type", "application/json"), ("Accept", "application/json")] + headers, body: json))
    }

    public func delete(_ url: String, headers: [(name: String, value: String)] = []) async throws(HTTPClientError) -> HTTPResponse {
        try await execute(HTTPRequest(method: .delete, url: url, headers: headers))
    }
}
