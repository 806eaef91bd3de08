import NIOHTTP1
import Prometheus

/// What the ops endpoint answers, as a pure function of the request line: no I/O, no state.
struct OpsRoutes: Sendable {
    let readiness: ReadinessCheck
    let metrics: PrometheusCollectorRegistry

    struct Response {
        var status: HTTPResponseStatus
        var contentType: String
        var body: [UInt8]
        var allow: String? = nil
    }

    static let metricsContentType = "text/plain; version=0.0.4"
    static let jsonContentType = "application/json"

    func response(method: HTTPMethod, uri: String) -> Response {
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard ["/health", "/ready", "/metrics"].contains(path) else {
            return Self.json(.notFound, [("status", .string("not found"))])
        }
        guard method == .GET else {
            var response = Self.json(.methodNotAllowed, [("status", .string("method not allowed"))])
            response.allow = "GET"
            return response
        }
        switch path {
        case "/health":
            return Self.json(.ok, [("status", .string("ok"))])
        case "/ready":
            let waiting = readiness()
            if waiting.isEmpty {
                return Self.json(.ok, [("status", .string("ready"))])
            }
            return Self.json(.serviceUnavailable, [("status", .string("not ready")), ("waiting", .strings(waiting))])
        default:
            return Response(status: .ok, contentType: Self.metricsContentType, body: metrics.emitToBuffer())
        }
    }

    private typealias Fields = [(String, JSONString.JSONFieldValue)]

    private static func json(_ status: HTTPResponseStatus, _ fields: Fields) -> Response {
        Response(status: status, contentType: jsonContentType, body: JSONString.object(fields))
    }
}
