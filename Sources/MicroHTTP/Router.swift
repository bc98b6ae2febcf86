#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Maps method + path to a handler. Patterns are `/`-separated; a segment `:name` matches any one
/// non-empty segment and is handed to the handler in `pathParameters`. A literal pattern wins
/// over patterns with parameters, which are tried in the order they were added.
///
/// Every route carries the `ErrorShape` of the API it belongs to, and so does every path prefix
/// an API owns: a refusal (404, 405, 413, 414, 431, bad encoding) is answered in the shape of the
/// route that matched, else of the longest prefix the path starts with, else the default.
public struct Router: Sendable {
    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse

    public enum Match: Sendable {
        case handler(Handler, parameters: PathParameters, errors: SharedErrorShape)
        /// The path exists but not for this method; `allowed` is what the `Allow` header lists.
        case methodNotAllowed(allowed: [String], errors: SharedErrorShape)
        case notFound(errors: SharedErrorShape)

        /// The error shape of the route or prefix the path fell under.
        public var errors: SharedErrorShape {
            switch self {
            case .handler(_, _, let errors), .methodNotAllowed(_, let errors), .notFound(let errors): return errors
            }
        }
    }

    /// A route's error shape behind one reference: a match carries it on every request, and
    /// copying a reference is a retain where copying an existential goes through its witnesses.
    public final class SharedErrorShape: ErrorShape {
        public let shape: any ErrorShape

        init(_ shape: any ErrorShape) { self.shape = shape }

        public func response(to refusal: Refusal, for request: HTTPRequest) -> HTTPResponse {
            shape.response(to: refusal, for: request)
        }
    }

    /// One registered method and pattern, as `routes` lists them.
    public struct Entry: Sendable, Equatable {
        public var method: String
        public var pattern: String
    }

    fileprivate struct Route: Sendable {
        var segments: [Substring]
        /// By method; a route has a handful, so a list beats hashing the method per request.
        var handlers: [(method: String, handler: Handler)]
        var errors: SharedErrorShape

        init(segments: [Substring], errors: SharedErrorShape) {
            self.segments = segments
            handlers = []
            self.errors = errors
        }

        /// In the order added, as `Allow` lists them.
        var methods: [String] { handlers.map(\.method) }

        func handler(for method: String) -> Handler? {
            handlers.first { $0.method == method }?.handler
        }

        mutating func set(_ handler: @escaping Handler, for method: String) {
            if let index = handlers.firstIndex(where: { $0.method == method }) {
                handlers[index].handler = handler
            } else {
                handlers.append((method, handler))
            }
        }
    }

    private var literalRoutes: [String: Route] = [:]
    private var patternRoutes: [Route] = []
    /// Every pattern is ASCII, so ASCII paths may be matched as bytes (see `MatchTable`).
    private var patternsAreASCII = true
    /// The routes' patterns as bytes, rebuilt on every `add`.
    private var table = MatchTable()
    /// Path prefixes owned by one API, longest first.
    private var prefixErrors: [(prefix: String, errors: SharedErrorShape)] = []
    private let defaultErrors: SharedErrorShape
    /// Every method and pattern added, in the order added.
    public private(set) var routes: [Entry] = []

    /// `defaultErrors` answers refusals of paths that no route and no prefix claims.
    public init(defaultErrors: any ErrorShape) {
        self.defaultErrors = SharedErrorShape(defaultErrors)
    }

    /// Paths starting with `prefix` that no route matches are refused in `errors`.
    public mutating func claim(prefix: String, errors: any ErrorShape) {
        prefixErrors.append((prefix, SharedErrorShape(errors)))
        prefixErrors.sort { $0.prefix.utf8.count > $1.prefix.utf8.count }
    }

    /// Registers `handler` for `method` on `pattern`, answering refusals in `errors`. A GET route
    /// also answers HEAD (libmicrohttpd leaves the body out of HEAD answers itself).
    public mutating func add(_ method: String, _ pattern: String, errors: any ErrorShape, _ handler: @escaping Handler)
    {
        let segments = pattern.split(separator: "/", omittingEmptySubsequences: false)
        let isLiteral = !segments.contains { $0.hasPrefix(":") }
        var route: Route
        var index: Int? = nil
        if isLiteral {
            route = literalRoutes[pattern] ?? Route(segments: segments, errors: SharedErrorShape(errors))
        } else if let found = patternRoutes.firstIndex(where: { $0.segments == segments }) {
            index = found
            route = patternRoutes[found]
        } else {
            route = Route(segments: segments, errors: SharedErrorShape(errors))
            if !pattern.utf8.allSatisfy({ $0 < 0x80 }) { patternsAreASCII = false }
        }
        routes.append(Entry(method: method, pattern: pattern))
        route.set(handler, for: method)
        if method == "GET" && route.handler(for: "HEAD") == nil { route.set(handler, for: "HEAD") }
        if isLiteral {
            literalRoutes[pattern] = route
        } else if let index {
            patternRoutes[index] = route
        } else {
            patternRoutes.append(route)
        }
        table = MatchTable(literals: literalRoutes, patterns: patternRoutes)
    }

    public func match(method: String, path: String) -> Match {
        guard let route = literalRoute(path) else {
            return matchPattern(method: method, path: path) ?? .notFound(errors: errors(forUnroutedPath: path))
        }
        let literal = resolve(route, method: method, parameters: PathParameters())
        guard case .methodNotAllowed(let allowed, let errors) = literal else { return literal }
        // A literal path is also a value of a pattern's parameter (`GET /v2/sessions/search` is
        // `GET /v2/sessions/:sessionId` with id "search", as HTTP gateways route it): a method the
        // literal route lacks falls through to the patterns.
        switch matchPattern(method: method, path: path) {
        case .handler(let handler, let parameters, let errors)?:
            return .handler(handler, parameters: parameters, errors: errors)
        case .methodNotAllowed(let more, _)?:
            return .methodNotAllowed(allowed: allowed + more.filter { !allowed.contains($0) }, errors: errors)
        case .notFound?, nil:
            return literal
        }
    }

    /// The literal route of `path`: compared as bytes when the path is ASCII, else looked up as a String.
    private func literalRoute(_ path: String) -> Route? {
        if let index = path.utf8.withContiguousStorageIfAvailable({ bytes -> Int?? in
            isASCII(UnsafeRawBufferPointer(bytes)) ? .some(table.literal(bytes)) : nil
        }), let index {
            return index.map { table.literalRoutes[$0] }
        }
        return literalRoutes[path]
    }

    /// The first pattern route whose segments match `path`, resolved for `method`; nil if none.
    private func matchPattern(method: String, path: String) -> Match? {
        if patternRoutes.isEmpty { return nil }
        // Paths are ASCII in practice: match their bytes without splitting the String into
        // Characters. Anything else takes the general path below (same results, just slower).
        if patternsAreASCII,
            let fast = path.utf8.withContiguousStorageIfAvailable({ matchASCII(method: method, path: $0) }),
            let fast
        {
            return fast
        }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        for route in patternRoutes where route.segments.count == segments.count {
            var parameters = PathParameters()
            var matched = true
            for (pattern, actual) in zip(route.segments, segments) {
                if pattern.hasPrefix(":") {
                    if actual.isEmpty {
                        matched = false
                        break
                    }
                    parameters[String(pattern.dropFirst())] = String(actual)
                } else if pattern != actual {
                    matched = false
                    break
                }
            }
            if matched { return resolve(route, method: method, parameters: parameters) }
        }
        return nil
    }

    /// The shape of the longest claimed prefix of `path`, else the default.
    private func errors(forUnroutedPath path: String) -> SharedErrorShape {
        for claimed in prefixErrors where path.hasPrefix(claimed.prefix) { return claimed.errors }
        return defaultErrors
    }

    /// `match` for an ASCII path (nil for any other; `.some(nil)` when no route matches): with
    /// ASCII paths and patterns, splitting at `/` bytes and comparing bytes gives exactly what
    /// splitting and comparing Strings gives.
    private func matchASCII(method: String, path: UnsafeBufferPointer<UInt8>) -> Match?? {
        guard isASCII(UnsafeRawBufferPointer(path)) else { return nil }
        guard let (index, parameters) = table.pattern(path) else { return .some(nil) }
        return resolve(patternRoutes[index], method: method, parameters: parameters)
    }

    private func resolve(_ route: Route, method: String, parameters: PathParameters) -> Match {
        if let handler = route.handler(for: method) {
            return .handler(handler, parameters: parameters, errors: route.errors)
        }
        return .methodNotAllowed(allowed: route.methods, errors: route.errors)
    }
}

/// The routes' patterns laid out as plain bytes and offsets for matching ASCII paths: no hashing,
/// no Strings and no reference counting per request. Literal paths are grouped by length and
/// compared with `memcmp`; patterns are tried in the order added, segment by segment. A class, so
/// a match retains one object instead of copying seven arrays out of the router.
private final class MatchTable: Sendable {
    /// Every literal path and every literal segment of a pattern, back to back.
    private let bytes: [UInt8]
    /// Literal routes sorted by path length; `literalStarts[n]` is the first of length `n` or more.
    private let literals: [(start: Int32, route: Int32)]
    private let literalStarts: [Int32]
    let literalRoutes: [Router.Route]
    /// Per pattern route: its segments' range in `segments`.
    private let patterns: [(first: Int32, count: Int32)]
    /// A literal segment's bytes (`start`, `count`), or a parameter (`count` -1, `start` its name's index).
    private let segments: [(start: Int32, count: Int32)]
    private let parameterNames: [String]

    convenience init() { self.init(literals: [:], patterns: []) }

    init(literals routes: [String: Router.Route], patterns patternRoutes: [Router.Route]) {
        var bytes: [UInt8] = []
        var literals: [(start: Int32, route: Int32)] = []
        var literalStarts: [Int32] = [0]
        var literalRoutes: [Router.Route] = []
        var patterns: [(first: Int32, count: Int32)] = []
        var segments: [(start: Int32, count: Int32)] = []
        var parameterNames: [String] = []
        for (path, route) in routes.sorted(by: { $0.key.utf8.count < $1.key.utf8.count }) {
            let length = path.utf8.count
            while literalStarts.count <= length { literalStarts.append(Int32(literals.count)) }
            literals.append((Int32(bytes.count), Int32(literalRoutes.count)))
            literalRoutes.append(route)
            bytes.append(contentsOf: path.utf8)
        }
        literalStarts.append(Int32(literals.count))
        for route in patternRoutes {
            patterns.append((Int32(segments.count), Int32(route.segments.count)))
            for segment in route.segments {
                if segment.hasPrefix(":") {
                    segments.append((Int32(parameterNames.count), -1))
                    parameterNames.append(String(segment.dropFirst()))
                } else {
                    segments.append((Int32(bytes.count), Int32(segment.utf8.count)))
                    bytes.append(contentsOf: segment.utf8)
                }
            }
        }
        self.bytes = bytes
        self.literals = literals
        self.literalStarts = literalStarts
        self.literalRoutes = literalRoutes
        self.patterns = patterns
        self.segments = segments
        self.parameterNames = parameterNames
    }

    /// Index into `literalRoutes` of the route whose path is `path`.
    func literal(_ path: UnsafeBufferPointer<UInt8>) -> Int? {
        let length = path.count
        guard length + 1 < literalStarts.count else { return nil }
        let candidates = Int(literalStarts[length])..<Int(literalStarts[length + 1])
        if candidates.isEmpty { return nil }
        return bytes.withUnsafeBufferPointer { bytes in
            for index in candidates
            where memcmp(bytes.baseAddress! + Int(literals[index].start), path.baseAddress!, length) == 0 {
                return Int(literals[index].route)
            }
            return nil
        }
    }

    /// The first pattern route matching `path`, and the parameters it takes from it.
    func pattern(_ path: UnsafeBufferPointer<UInt8>) -> (Int, PathParameters)? {
        let slash = UInt8(ascii: "/")
        var segmentCount = 1
        for byte in path where byte == slash { segmentCount += 1 }
        // Start offset of every segment; segment i ends one byte before segment i + 1 starts.
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: segmentCount + 1) { starts in
            var next = 1
            starts[0] = 0
            for index in path.indices where path[index] == slash {
                starts[next] = index + 1
                next += 1
            }
            starts[segmentCount] = path.count + 1
            return bytes.withUnsafeBufferPointer { bytes -> (Int, PathParameters)? in
                for (index, pattern) in patterns.enumerated() where pattern.count == segmentCount {
                    var matched = true
                    for i in 0..<segmentCount {
                        let expected = segments[Int(pattern.first) + i]
                        let length = starts[i + 1] - 1 - starts[i]
                        if expected.count < 0 {
                            matched = length > 0
                        } else {
                            matched =
                                length == Int(expected.count)
                                && (length == 0
                                    || memcmp(
                                        bytes.baseAddress! + Int(expected.start),
                                        path.baseAddress! + starts[i],
                                        length
                                    ) == 0)
                        }
                        if !matched { break }
                    }
                    guard matched else { continue }
                    var parameters = PathParameters()
                    for i in 0..<segmentCount {
                        let expected = segments[Int(pattern.first) + i]
                        guard expected.count < 0 else { continue }
                        let value = UnsafeBufferPointer(rebasing: path[starts[i]..<starts[i + 1] - 1])
                        parameters[parameterNames[Int(expected.start)]] = String(decoding: value, as: UTF8.self)
                    }
                    return (index, parameters)
                }
                return nil
            }
        }
    }
}
