import JSONBytes
import NIOHTTP1
import Prometheus

/// The operations routes of every executable: `GET /health`, `GET /ready`, `GET /metrics`.
public enum OpsRoutes {
    static let metricsContentType = "text/plain; version=0.0.4"
    static let jsonContentType = "application/json"

    /// The ops routes alone, with their own 404 and 405 bodies.
    public static func table(readiness: @escaping ReadinessCheck, metrics: PrometheusCollectorRegistry) -> HTTPRoutes {
        var routes = HTTPRoutes(
            notFound: { _ in json(.notFound, [("status", .string("not found"))]) },
            methodNotAllowed: { _ in json(.methodNotAllowed, [("status", .string("method not allowed"))]) }
        )
        add(to: &routes, readiness: readiness, metrics: metrics)
        return routes
    }

    /// Adds the ops routes to a service's own API (dev-pki's).
    /// - Parameter readiness: the parts not ready yet; `/ready` answers 503 naming them until it is empty.
    public static func add(to routes: inout HTTPRoutes, readiness: @escaping ReadinessCheck, metrics: PrometheusCollectorRegistry) {
        routes.on(.GET, "/health") { _ in json(.ok, [("status", .string("ok"))]) }
        routes.on(.GET, "/ready") { _ in
            let waiting = readiness()
            if waiting.isEmpty {
                return json(.ok, [("status", .string("ready"))])
            }
            return json(.serviceUnavailable, [("status", .string("not ready")), ("waiting", .strings(waiting))])
        }
        routes.on(.GET, "/metrics") { _ in
            HTTPServerResponse(status: .ok, headers: [("content-type", metricsContentType)], body: metrics.emitToBuffer())
        }
    }

    private static func json(_ status: HTTPResponseStatus, _ fields: [(String, JSONString.JSONFieldValue)]) -> HTTPServerResponse {
        HTTPServerResponse(status: status, headers: [("content-type", jsonContentType)], body: JSONString.object(fields))
    }
}
