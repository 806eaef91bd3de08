import Logging
import NIOHTTP1
import ServiceRuntime
import TestSupport

/// Runs an `HTTPServer` on 127.0.0.1 port 0 answering every GET, POST and DELETE with `handler`,
/// while `body` gets its port.
func withHTTPServer(
    prepareConnection: HTTPServer.PrepareConnection? = nil,
    handler: @escaping HTTPRoutes.Handler,
    _ body: (Int) async throws -> Void
) async throws {
    var routes = HTTPRoutes()
    for method in [HTTPMethod.GET, .POST, .DELETE] {
        routes.on(method, pathPrefix: "/", handler)
    }
    let server = HTTPServer(
        host: "127.0.0.1", port: 0, routes: routes, prepareConnection: prepareConnection, logger: Logger(label: "http-client-test"))
    try await server.serving(body)
}
