import GRPCServices
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
        /// The clock and random seed of scenarios whose seed sets none.
        public var seedDefaults = SeedDefaults()

        public init() {}
    }

    public let registry: ScenarioRegistry
    public let journal: RequestJournal
    let options: Options
    let logger: Logger
    private let router: Router
    /// gRPC health and reflection, for the whole server.
    let grpcServices = GRPCServices(
        vendorServices: ZitadelEndpoints.services,
        descriptorSets: [ZitadelDescriptors.fileDescriptorSet]
    )

    public init(
        seeds: [String: SeedDocument],
        activeScenario: String,
        options: Options = Options(),
        logger: Logger = Logger(label: "session-mock")
    ) {
        self.options = options
        self.logger = logger
        registry = ScenarioRegistry(
            seeds: seeds,
            active: activeScenario,
            maxIsolatedCopies: options.maxIsolatedCopies,
            defaults: options.seedDefaults
        ) {
            [logger] key in logger.info("evicted isolated scenario copy \(key) (over --max-isolated-copies)")
        }
        journal = RequestJournal(capacity: options.journalSize)

        let pipeline = MockRequestPipeline(registry: registry, testHeadersEnabled: options.testHeaders)
        let journal = self.journal
        // The route table: every declared endpoint's routes, and each prefix an API owns, with
        // the API whose error shape its refusals use.
        var router = Router(defaultErrors: ControlErrorShape())
        router.claim(prefix: "/__admin/", errors: ControlErrorShape())
        for (prefix, errors) in WalletKitEndpoint.prefixes + ZitadelEndpoints.prefixes {
            router.claim(prefix: prefix, errors: errors)
        }
        for endpoint in Self.endpoints {
            for route in endpoint.routes {
                let serve = route.serve
                router.add(route.method, route.pattern, errors: route.errors) { request in
                    Self.served(request, journal: journal) { serve(request, pipeline) }
                }
            }
        }
        AdminAPI(registry: registry, journal: journal, startedAtNanos: WallClock.monotonicNanos(), buildInfo: .current)
            .register(on: &router)
        StoreAPI(registry: registry).register(on: &router)
        ZitadelAuthRequestAPI(registry: registry).register(on: &router)
        ClockAPI(registry: registry).register(on: &router)
        WalletKitControlAPI(registry: registry).register(on: &router)
        self.router = router
    }

    /// Every mocked endpoint, as the API modules declare them.
    package static let endpoints: [MockEndpoint] =
        WalletKitEndpoint.all.map(\.mockEndpoint) + ZitadelEndpoints.mockEndpoints

    /// The declarations as `session-mock routes --endpoints` prints them (scripts read this).
    public static var endpointsJSON: String {
        JSONValue.array(
            endpoints.map { endpoint in
                .object([
                    ("api", .string(endpoint.api.rawValue)),
                    ("name", .string(endpoint.name)),
                    ("vendorOperationId", .string(endpoint.vendorOperationId)),
                    ("faultKeys", .array(endpoint.faultKeys.map { .string($0) })),
                    ("permission", endpoint.permission.map { .string($0) } ?? .null),
                    (
                        "routes",
                        .array(
                            endpoint.routes.map { route in
                                .object([
                                    ("method", .string(route.method)),
                                    ("path", .string(route.openAPIPath)),
                                    ("transport", .string(route.transport.rawValue)),
                                ])
                            }
                        )
                    ),
                ])
            }
        ).serializedString
    }

    /// What seeds may name of the declared endpoints (`match.rpc`).
    public static let seedVocabulary = SeedVocabulary(
        rpcs: ZitadelEndpoints.rpcNames,
        settingsProblem: ZitadelEndpoints.settingsSeedProblem
    )

    /// Answers one request. Never throws and never traps on input. Takes the request, so that
    /// routing can add its path parameters without copying it.
    public func handle(_ request: consuming HTTPRequest) -> HTTPResponse {
        guard logger.logLevel <= .debug else { return route(request) }
        let (method, path) = (request.method, request.path)
        let response = route(request)
        logger.debug("\(method) \(path) -> \(response.dropsConnection ? "dropped" : String(response.status))")
        return response
    }

    /// Base-URL isolation: `/__scenario/NAME[@KEY]/<API path>`.
    static let scenarioPrefix = "/__scenario/"

    private func route(_ request: consuming HTTPRequest) -> HTTPResponse {
        if Self.isScenarioPrefixed(request.path) { return routeScenarioPrefixed(request) }
        return routeUnprefixed(request)
    }

    /// The second byte rules out nearly every path before `hasPrefix`, which costs ~100
    /// instructions on every request.
    static func isScenarioPrefixed(_ path: String) -> Bool {
        let bytes = path.utf8
        guard bytes.count > 1, bytes[bytes.index(after: bytes.startIndex)] == UInt8(ascii: "_") else { return false }
        return path.hasPrefix(scenarioPrefix)
    }

    /// Serves the API path after the prefix with the prefix's scenario (unless an
    /// `X-Mock-Scenario` header names another); only the vendor APIs take the prefix.
    private func routeScenarioPrefixed(_ original: HTTPRequest) -> HTTPResponse {
        let rest = original.path.utf8.dropFirst(Self.scenarioPrefix.utf8.count)
        guard let slash = rest.firstIndex(of: UInt8(ascii: "/")), slash != rest.startIndex else {
            return ControlErrorShape().response(to: .notFound, for: original)
        }
        var request = original
        request.path = String(Substring(original.path.utf8[slash...]))
        if request.path.hasPrefix("/__admin") || request.path.hasPrefix(Self.scenarioPrefix) {
            return ControlErrorShape().response(to: .notFound, for: original)
        }
        request.pathParameters[MockRequestPipeline.prefixScenarioParameter] = String(Substring(rest[..<slash]))
        return routeUnprefixed(request)
    }

    private func routeUnprefixed(_ request: consuming HTTPRequest) -> HTTPResponse {
        let match = router.match(method: request.method, path: request.path)
        if let refusal = Self.refusal(of: request) {
            return match.errors.response(to: refusal, for: request)
        }
        // The path is only looked at when an admin token is set (rarely, and never on the hot path).
        if let token = options.adminToken, request.path.hasPrefix("/__admin"), request.path != "/__admin/health",
            !authorized(request, token: token)
        {
            return .json(
                401,
                #"{"error":"admin token required: send Authorization: Bearer <token>"}"#,
                headers: [HTTPField(name: "WWW-Authenticate", value: "Bearer")]
            )
        }
        // Consumed: its payload moves into the cases instead of being copied out and then destroyed.
        switch consume match {
        case .handler(let handler, let parameters, _):
            if !parameters.isEmpty { request.pathParameters.merge(parameters) }
            return handler(request)
        case .methodNotAllowed(let allowed, let errors):
            var response = errors.response(to: .methodNotAllowed(allowed: allowed), for: request)
            response.headers.append(HTTPField(name: "Allow", value: allowed.joined(separator: ", ")))
            return response
        case .notFound(let errors):
            // gRPC's own services are looked for only where no route is: they cost the routes nothing.
            if let answer = grpcServices.unary(request) { return answer }
            return errors.response(to: .notFound, for: request)
        }
    }

    /// gRPC's streaming calls (reflection, Health.Watch), for the HTTP/2 side as requests arrive.
    public func streamingCall(for request: HTTPRequest) -> (any HTTPStreamingCall)? {
        grpcServices.streamingCall(for: request)
    }

    /// Every route: method and pattern, in the order registered (GET routes answer HEAD too).
    public var routes: [Router.Entry] { router.routes }

    /// Longest path + query, and largest header block, answered; larger ones get 414/431.
    static let maxTargetBytes = 8 * 1024
    static let maxHeaderBytes = 16 * 1024

    /// Requests refused before their handler, whatever the route: answered in the route's shape.
    static func refusal(of request: HTTPRequest) -> Refusal? {
        if request.bodyTooLarge { return .bodyTooLarge }
        let target = request.path.utf8.count + request.query.textByteCount + 2 * request.query.count
        if target > maxTargetBytes { return .uriTooLong(limitBytes: maxTargetBytes) }
        let headerBytes = request.headers.textByteCount + 4 * request.headers.count
        if headerBytes > maxHeaderBytes { return .headersTooLarge(limitBytes: maxHeaderBytes) }
        if request.invalidUTF8 { return .invalidEncoding }
        return nil
    }

    private func authorized(_ request: HTTPRequest, token: String) -> Bool {
        guard let header = request.header("Authorization"), let given = BearerToken.parse(header) else { return false }
        return ConstantTime.equals(Array(given.utf8), Array(token.utf8))
    }

    /// Runs a mocked endpoint and records the exchange in the journal.
    private static func served(
        _ request: HTTPRequest,
        journal: RequestJournal,
        _ body: () -> (HTTPResponse, scenario: String?)
    ) -> HTTPResponse {
        let started = WallClock.monotonicNanos()
        let (response, scenario) = body()
        let latency = Int64((WallClock.monotonicNanos() &- started) / 1000) + Int64(response.delayMilliseconds) * 1000
        journal.record(
            RequestJournal.Entry(
                timeMicros: WallClock.nowMicros(),
                scenario: scenario,
                method: request.method,
                path: request.path,
                query: request.query,
                headers: request.headers,
                status: response.status,
                latencyMicros: latency,
                dropped: response.dropsConnection,
                nativeGRPC: GRPCFraming.isNativeGRPC(request),
                grpcStatus: GRPCFraming.statusCode(of: response)
            )
        )
        return response
    }
}

/// The control API's errors, and those of paths no API owns: `{"error","path"}`; a native gRPC
/// call to a service nobody serves gets gRPC's UNIMPLEMENTED (12), as gRPC clients expect.
struct ControlErrorShape: ErrorShape {
    func response(to refusal: Refusal, for request: HTTPRequest) -> HTTPResponse {
        if GRPCFraming.isNativeGRPC(request) {
            switch refusal {
            case .notFound, .methodNotAllowed:
                return GRPCFraming.status(code: 12, message: "unknown service or method \(request.path)")
            default:
                return GRPCFraming.status(code: refusal.isSizeLimit ? 8 : 3, message: refusal.message)
            }
        }
        return .json(
            refusal.status,
            JSONValue.object([("error", .string(refusal.message)), ("path", .string(request.path))]).serialized
        )
    }
}

enum ConstantTime {
    /// Compares without an early exit, so timing does not tell how much of a guess was right.
    /// The length difference is kept whole: folded into a byte, lengths 256 apart would compare
    /// equal on their common bytes.
    static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = a.count ^ b.count
        for i in 0..<max(a.count, b.count) {
            difference |= Int((i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0))
        }
        return difference == 0
    }
}
