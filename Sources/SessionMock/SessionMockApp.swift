import JSON
import Logging
import MicroHTTP
import MockPipeline
import Platform
import Seeds
import Store
import WalletKitAPI
import ZitadelAPI

/// The whole mock as one `HTTPRequest -> HTTPResponse` function: routing, the two APIs, the
/// control API. No sockets here, so tests and fuzzers can drive it directly.
public final class SessionMockApp: Sendable {
    public struct Options: Sendable {
        /// `X-Mock-Status` and `X-Mock-Delay-Ms` are honoured.
        public var testHeaders = true
        /// When set, `/__admin` (but health) needs `Authorization: Bearer <token>`.
        public var adminToken: String?
        public var journalSize = 10_000
        public var maxIsolatedCopies = 1000

        public init() {}
    }

    public let registry: ScenarioRegistry
    public let journal: RequestJournal
    let options: Options
    let logger: Logger
    private let router: Router

    public init(seeds: [String: SeedDocument], activeScenario: String, options: Options = Options(),
                logger: Logger = Logger(label: "session-mock")) {
        self.options = options
        self.logger = logger
        registry = ScenarioRegistry(seeds: seeds, active: activeScenario, maxIsolatedCopies: options.maxIsolatedCopies) {
            [logger] key in logger.info("evicted isolated scenario copy \(key) (over --max-isolated-copies)")
        }
        journal = RequestJournal(capacity: options.journalSize)

        let pipeline = MockRequestPipeline(registry: registry, testHeadersEnabled: options.testHeaders)
        let journal = self.journal
        var router = Router()
        router.add("GET", "/users/session-challenge") { request in
            Self.served(request, journal: journal) {
                pipeline.run(request, shape: MockRequestPipeline.walletKitShape, endpoint: SessionChallengeAPI.getSessionChallenge)
            }
        }
        router.add("GET", "/v2/sessions/:sessionId") { request in
            Self.served(request, journal: journal) {
                pipeline.run(request, shape: MockRequestPipeline.zitadelShape, endpoint: ZitadelSessionAPI.getSession)
            }
        }
        // The same endpoint over Connect and gRPC-Web (Zitadel/Protocols/).
        router.add("POST", ZitadelRPC.getSessionPath) { request in
            Self.served(request, journal: journal) { ZitadelRPC.getSession(request, pipeline: pipeline) }
        }
        AdminAPI(registry: registry, journal: journal, startedAtNanos: WallClock.monotonicNanos(), buildInfo: .current)
            .register(on: &router)
        StoreAPI(registry: registry).register(on: &router)
        self.router = router
    }

    /// Answers one request. Never throws and never traps on input.
    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        let response = route(request)
        if logger.logLevel <= .debug {
            logger.debug("\(request.method) \(request.path) -> \(response.dropsConnection ? "dropped" : String(response.status))")
        }
        return response
    }

    private func route(_ request: HTTPRequest) -> HTTPResponse {
        if let refusal = Self.refusal(of: request) { return refusal }
        // The path is only looked at when an admin token is set (rarely, and never on the hot path).
        if let token = options.adminToken, request.path.hasPrefix("/__admin"), request.path != "/__admin/health",
           !authorized(request, token: token) {
            return .json(401, #"{"error":"admin token required: send Authorization: Bearer <token>"}"#,
                         headers: [HTTPField(name: "WWW-Authenticate", value: "Bearer")])
        }
        switch router.match(method: request.method, path: request.path) {
        case .handler(let handler, let parameters):
            // Literal routes have no parameters: no copy of the request to set none.
            if parameters.isEmpty && request.pathParameters.isEmpty { return handler(request) }
            var request = request
            request.pathParameters = parameters
            return handler(request)
        case .methodNotAllowed(let allowed):
            let allow = [HTTPField(name: "Allow", value: allowed.joined(separator: ", "))]
            var response = Self.unknown(request, status: 405)
            response.headers += allow
            return response
        case .notFound:
            return Self.unknown(request, status: 404)
        }
    }

    /// Longest path + query, and largest header block, answered; larger ones get 414/431.
    static let maxTargetBytes = 8 * 1024
    static let maxHeaderBytes = 16 * 1024

    /// Requests refused before routing, each in the error shape of the API its path belongs to.
    static func refusal(of request: HTTPRequest) -> HTTPResponse? {
        if request.bodyTooLarge {
            return inShape(of: request, status: 413, code: "body_too_large", "request body too large")
        }
        let target = request.query.reduce(request.path.utf8.count) { $0 + $1.name.utf8.count + $1.value.utf8.count + 2 }
        if target > maxTargetBytes {
            return inShape(of: request, status: 414, code: "uri_too_long", "request path and query are longer than \(maxTargetBytes) bytes")
        }
        let headerBytes = request.headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 }
        if headerBytes > maxHeaderBytes {
            return inShape(of: request, status: 431, code: "headers_too_large", "request headers are larger than \(maxHeaderBytes) bytes")
        }
        if request.invalidUTF8 {
            return inShape(of: request, status: 400, code: "invalid_encoding", "the request path, query or headers are not valid UTF-8")
        }
        return nil
    }

    /// An error in the shape of the API the path belongs to: gRPC status under /v2/,
    /// ErrorResponse under /users/, `{"error","path"}` elsewhere.
    static func inShape(of request: HTTPRequest, status: Int, code: String, _ message: String) -> HTTPResponse {
        if request.path.hasPrefix("/v2/") {
            let grpc = status == 413 || status == 414 || status == 431 ? 8 : 3  // resource exhausted / invalid argument
            return ZitadelError(httpStatus: status, grpcCode: grpc, text: message, id: nil).response
        }
        if request.path.hasPrefix("/users/") {
            return WalletKitError(httpStatus: status, code: code, error: message).response
        }
        return .json(status, JSONValue.object([("error", .string(message)), ("path", .string(request.path))]).serialized)
    }

    /// 404/405 in the error shape of the API the path belongs to (contract §3).
    static func unknown(_ request: HTTPRequest, status: Int) -> HTTPResponse {
        if request.path.hasPrefix("/v2/") {
            return (status == 405 ? ZitadelError.methodNotAllowed : ZitadelError.notFound).response
        }
        if request.path.hasPrefix("/users/") {
            return (status == 405 ? WalletKitError.methodNotAllowed : WalletKitError.notFound).response
        }
        let body: JSONValue = status == 405
            ? .object([("error", .string("method not allowed")), ("path", .string(request.path))])
            : .object([("error", .string("not found")), ("path", .string(request.path))])
        return .json(status, body.serialized)
    }

    private func authorized(_ request: HTTPRequest, token: String) -> Bool {
        guard let header = request.header("Authorization"), let given = BearerToken.parse(header) else { return false }
        return ConstantTime.equals(Array(given.utf8), Array(token.utf8))
    }

    /// Runs a mocked endpoint and records the exchange in the journal.
    private static func served(_ request: HTTPRequest, journal: RequestJournal,
                               _ body: () -> (HTTPResponse, scenario: String?)) -> HTTPResponse {
        let started = WallClock.monotonicNanos()
        let (response, scenario) = body()
        let latency = Int64((WallClock.monotonicNanos() &- started) / 1000) + Int64(response.delayMilliseconds) * 1000
        journal.record(RequestJournal.Entry(
            timeMicros: WallClock.nowMicros(), scenario: scenario, method: request.method, path: request.path,
            query: request.query, headers: request.headers, status: response.status,
            latencyMicros: latency, dropped: response.dropsConnection))
        return response
    }
}

enum ConstantTime {
    /// Compares without an early exit, so timing does not tell how much of a guess was right.
    static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for i in 0..<max(a.count, b.count) {
            difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return difference == 0
    }
}
