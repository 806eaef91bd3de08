import NIOHTTP1

/// What an ``HTTPServer`` answers: a handler per method and path (or path prefix). A path no
/// route has gets `notFound`; a known path with another method gets `methodNotAllowed` and an
/// `allow` header naming the methods it takes.
public struct HTTPRoutes: Sendable {
    public typealias Handler = @Sendable (HTTPServerRequest) async -> HTTPServerResponse
    public typealias Refusal = @Sendable (HTTPServerRequest) -> HTTPServerResponse

    private struct Route: Sendable {
        let method: HTTPMethod
        let path: String
        let isPrefix: Bool
        let handler: Handler

        func matches(_ path: String) -> Bool {
            isPrefix ? path.hasPrefix(self.path) : path == self.path
        }
    }

    private var routes: [Route] = []
    public var notFound: Refusal
    public var methodNotAllowed: Refusal

    /// By default refusals are `{"error": "..."}` naming the method and path.
    public init(
        notFound: @escaping Refusal = { .error(.notFound, "no route for \($0.method) \($0.path)") },
        methodNotAllowed: @escaping Refusal = { .error(.methodNotAllowed, "\($0.method) not allowed on \($0.path)") }
    ) {
        self.notFound = notFound
        self.methodNotAllowed = methodNotAllowed
    }

    /// Answers `method` on exactly `path` (the query string aside).
    public mutating func on(_ method: HTTPMethod, _ path: String, _ handler: @escaping Handler) {
        routes.append(Route(method: method, path: path, isPrefix: false, handler: handler))
    }

    /// Answers `method` on every path that starts with `prefix` and has no exact route.
    public mutating func on(_ method: HTTPMethod, pathPrefix prefix: String, _ handler: @escaping Handler) {
        routes.append(Route(method: method, path: prefix, isPrefix: true, handler: handler))
    }

    public func response(to request: HTTPServerRequest) async -> HTTPServerResponse {
        let exact = routes.filter { !$0.isPrefix && $0.matches(request.path) }
        let candidates = exact.isEmpty ? routes.filter { $0.isPrefix && $0.matches(request.path) } : exact
        guard !candidates.isEmpty else { return notFound(request) }
        guard let route = candidates.first(where: { $0.method == request.method }) else {
            var refusal = methodNotAllowed(request)
            var allowed: [String] = []
            for method in candidates.map({ $0.method.rawValue }) where !allowed.contains(method) { allowed.append(method) }
            refusal.headers.append((name: "allow", value: allowed.joined(separator: ", ")))
            return refusal
        }
        return await route.handler(request)
    }
}
