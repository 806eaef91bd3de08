import Logging
import NIOHTTP1
import ServiceRuntime

/// Runs an `HTTPServer` on 127.0.0.1 port 0 answering every GET, POST and DELETE with `handler`,
/// hands `body` its port, then stops it.
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
    try await server.bind()
    let running = Task { try await server.run() }
    do {
        try await body(try await server.localPort())
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
    try await running.value
}
