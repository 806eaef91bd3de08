import Foundation
import NIOHTTP1

/// A whole request, body aggregated.
public struct HTTPServerRequest: Sendable {
    public let method: HTTPMethod
    /// The target without the query string.
    public let path: String
    public let query: String?
    public let headers: HTTPHeaders
    public let body: [UInt8]

    public init(method: HTTPMethod, uri: String, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.method = method
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        self.path = String(parts.first ?? "/")
        self.query = parts.count > 1 ? String(parts[1]) : nil
        self.headers = headers
        self.body = body
    }

    /// Path segments, percent-decoded, e.g. `["api", "v1", "certificates", "AB:CD"]`.
    public var pathSegments: [String] {
        path.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
    }
}

/// A whole response; the server adds `content-length` and `connection`.
public struct HTTPServerResponse: Sendable {
    public var status: HTTPResponseStatus
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: HTTPResponseStatus, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response; encoding failures become 500.
    public static func json<Body: Encodable>(_ status: HTTPResponseStatus, _ body: Body) -> HTTPServerResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        guard let data = try? encoder.encode(body) else {
            return HTTPServerResponse(status: .internalServerError)
        }
        return HTTPServerResponse(status: status, headers: [("content-type", "application/json")], body: Array(data))
    }

    /// `{"error": message}` with `status`.
    public static func error(_ status: HTTPResponseStatus, _ message: String) -> HTTPServerResponse {
        json(status, ["error": message])
    }
}
