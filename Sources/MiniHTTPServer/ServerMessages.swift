import Foundation
import NIOHTTP1

/// A whole request, body aggregated.
public struct ServerRequest: Sendable {
    public let method: HTTPMethod
    /// The target without the query string.
    public let path: String
    public let query: String?
    public let headers: HTTPHeaders
    public let body: [UInt8]

    init(head: HTTPRequestHead, body: [UInt8]) {
        self.method = head.method
        let parts = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        self.path = String(parts.first ?? "/")
        self.query = parts.count > 1 ? String(parts[1]) : nil
        self.headers = head.headers
        self.body = body
    }

    /// Path segments, e.g. `["api", "v1", "certificates", "AB:CD"]`.
    public var pathSegments: [String] {
        path.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
    }
}

/// A whole response.
public struct ServerResponse: Sendable {
    public var status: HTTPResponseStatus
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: HTTPResponseStatus, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response; encoding failures become 500.
    public static func json<Body: Encodable>(_ status: HTTPResponseStatus, _ body: Body) -> ServerResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        guard let data = try? encoder.encode(body) else {
            return ServerResponse(status: .internalServerError)
        }
        return ServerResponse(status: status, headers: [("Content-Type", "application/json")], body: Array(data))
    }

    /// `{"error": message}` with `status`.
    public static func error(_ status: HTTPResponseStatus, _ message: String) -> ServerResponse {
        json(status, ["error": message])
    }
}
