/// Maps method + path to a handler. Patterns are `/`-separated; a segment `:name` matches any one
/// non-empty segment and is handed to the handler in `pathParameters`. Literal patterns are found
/// by one hash lookup; patterns with parameters are tried in the order they were added.
public struct Router: Sendable {
    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse

    public enum Match: Sendable {
        case handler(Handler, parameters: [String: String])
        /// The path exists but not for this method; `allowed` is what the `Allow` header lists.
        case methodNotAllowed(allowed: [String])
        case notFound
    }

    private struct Route: Sendable {
        var segments: [Substring]
        var handlers: [String: Handler]
        var methods: [String]
    }

    private var literalRoutes: [String: Route] = [:]
    private var patternRoutes: [Route] = []

    public init() {}

    /// Registers `handler` for `method` on `pattern`. A GET route also answers HEAD
    /// (libmicrohttpd leaves the body out of HEAD answers itself).
    public mutating func add(_ method: String, _ pattern: String, _ handler: @escaping Handler) {
        let segments = pattern.split(separator: "/", omittingEmptySubsequences: false)
        let isLiteral = !segments.contains { $0.hasPrefix(":") }
        var route: Route
        var index: Int? = nil
        if isLiteral {
            route = literalRoutes[pattern] ?? Route(segments: segments, handlers: [:], methods: [])
        } else if let found = patternRoutes.firstIndex(where: { $0.segments == segments }) {
            index = found
            route = patternRoutes[found]
        } else {
            route = Route(segments: segments, handlers: [:], methods: [])
        }
        route.handlers[method] = handler
        route.methods.append(method)
        if method == "GET" && route.handlers["HEAD"] == nil {
            route.handlers["HEAD"] = handler
            route.methods.append("HEAD")
        }
        if isLiteral {
            literalRoutes[pattern] = route
        } else if let index {
            patternRoutes[index] = route
        } else {
            patternRoutes.append(route)
        }
    }

    public func match(method: String, path: String) -> Match {
        if let route = literalRoutes[path] {
            return resolve(route, method: method, parameters: [:])
        }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        for route in patternRoutes where route.segments.count == segments.count {
            var parameters: [String: String] = [:]
            var matched = true
            for (pattern, actual) in zip(route.segments, segments) {
                if pattern.hasPrefix(":") {
                    if actual.isEmpty { matched = false; break }
                    parameters[String(pattern.dropFirst())] = String(actual)
                } else if pattern != actual {
                    matched = false
                    break
                }
            }
            if matched { return resolve(route, method: method, parameters: parameters) }
        }
        return .notFound
    }

    private func resolve(_ route: Route, method: String, parameters: [String: String]) -> Match {
        if let handler = route.handlers[method] {
            return .handler(handler, parameters: parameters)
        }
        return .methodNotAllowed(allowed: route.methods)
    }
}
