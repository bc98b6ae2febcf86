import JSON
import MicroHTTP
import Platform
import Seeds
import Store

/// The control API under `/__admin` (docs/control-api.md): health, reset, journal, scenarios.
struct AdminAPI: Sendable {
    let registry: ScenarioRegistry
    let journal: RequestJournal
    let startedAtNanos: UInt64
    let buildInfo: BuildInfo

    func register(on router: inout Router) {
        router.add("GET", "/__admin/health", errors: ControlErrorShape()) { _ in self.health() }
        router.add("POST", "/__admin/reset", errors: ControlErrorShape()) { request in self.reset(request) }
        router.add("GET", "/__admin/requests", errors: ControlErrorShape()) { request in
            let entries = self.journal.entries(Self.filter(request))
            return .json(200, JSONValue.object([("requests", .array(entries.map(RequestJournal.json)))]).serialized)
        }
        router.add("DELETE", "/__admin/requests", errors: ControlErrorShape()) { _ in
            self.journal.clear()
            return .json(200, #"{"cleared":true}"#)
        }
        router.add("GET", "/__admin/requests/count", errors: ControlErrorShape()) { request in
            .json(200, "{\"count\":\(self.journal.count(Self.filter(request)))}")
        }
        router.add("PUT", "/__admin/scenario", errors: ControlErrorShape()) { request in self.activate(request) }
        router.add("GET", "/__admin/scenario", errors: ControlErrorShape()) { _ in
            .json(200, JSONValue.object([("name", .string(self.registry.activeName))]).serialized)
        }
        router.add("POST", "/__admin/scenarios/:name", errors: ControlErrorShape()) { request in self.install(request) }
        router.add("GET", "/__admin/openapi.yaml", errors: ControlErrorShape()) { _ in
            HTTPResponse(
                status: 200,
                headers: [HTTPField(name: "Content-Type", value: "text/yaml; charset=utf-8")],
                body: Array(BundledOpenAPI.yaml.utf8)
            )
        }
    }

    func health() -> HTTPResponse {
        let uptime = (WallClock.monotonicNanos() &- startedAtNanos) / 1_000_000_000
        let body = JSONValue.object([
            ("status", .string("ok")),
            ("scenarios", .array(registry.names.map(JSONValue.string))),
            ("uptimeSeconds", .number(String(uptime))),
            ("activeScenario", .string(registry.activeName)),
            ("version", .string(buildInfo.version)),
            (
                "build",
                .object([
                    ("commit", .string(buildInfo.commit)),
                    ("date", .string(buildInfo.date)),
                    ("swift", .string(buildInfo.swift)),
                ])
            ),
        ])
        return .json(200, body.serialized)
    }

    func reset(_ request: HTTPRequest) -> HTTPResponse {
        switch registry.reset(request.queryValue("scenario")) {
        case .success(let names):
            if let selector = request.queryValue("scenario"), !selector.isEmpty {
                journal.clear(scenario: selector)
            } else {
                journal.clear()
            }
            return .json(200, JSONValue.object([("reset", .array(names.map(JSONValue.string)))]).serialized)
        case .failure(let unknown):
            return Self.error(404, unknown.message, known: unknown.known)
        }
    }

    func activate(_ request: HTTPRequest) -> HTTPResponse {
        guard let body = try? JSONParser.parse(request.body), case .string(let name)? = body["name"] else {
            return Self.error(400, #"body must be {"name": "<scenario>"}"#)
        }
        switch registry.activate(name) {
        case .success: return .json(200, JSONValue.object([("name", .string(name))]).serialized)
        case .failure(let unknown): return Self.error(404, unknown.message, known: unknown.known)
        }
    }

    func install(_ request: HTTPRequest) -> HTTPResponse {
        let name = request.pathParameters["name"] ?? ""
        guard ScenarioName.isValid(name) else {
            return Self.error(400, "scenario names use letters, digits, '-', '_' and '.' only (no '@')")
        }
        do {
            let seed = try SeedParser.parse(
                request.body,
                file: "POST /__admin/scenarios/\(name)",
                vocabulary: SessionMockApp.seedVocabulary
            )
            let existed = registry.names.contains(name)
            registry.install(seed, as: name)
            return .json(
                existed ? 200 : 201,
                JSONValue.object([("name", .string(name)), ("replaced", .bool(existed))]).serialized
            )
        } catch {
            return Self.seedError(error)
        }
    }

    static func filter(_ request: HTTPRequest) -> RequestJournal.Filter {
        RequestJournal.Filter(
            path: request.queryValue("path"),
            method: request.queryValue("method"),
            scenario: request.queryValue("scenario")
        )
    }

    static func error(_ status: Int, _ message: String, known: [String]? = nil) -> HTTPResponse {
        var members: [(key: String, value: JSONValue)] = [("error", .string(message))]
        if let known { members.append(("scenarios", .array(known.map(JSONValue.string)))) }
        return .json(status, JSONValue.object(members).serialized)
    }

    /// A refused seed: 400 with every issue's JSON path and reason.
    static func seedError(_ error: SeedError) -> HTTPResponse {
        let issues = error.issues.map {
            JSONValue.object([("path", .string($0.path)), ("reason", .string($0.reason))])
        }
        return .json(
            400,
            JSONValue.object([("error", .string("invalid seed")), ("issues", .array(issues))]).serialized
        )
    }
}

/// What `--version` and `/__admin/health` report.
public struct BuildInfo: Sendable {
    public var version: String
    public var commit: String
    public var date: String
    public var swift: String

    public static let current = BuildInfo(
        version: BuildMetadata.version,
        commit: BuildMetadata.commit,
        date: BuildMetadata.date,
        swift: BuildMetadata.swift
    )
}

extension Router {
    /// A control route on one scenario copy: `?scenario=NAME[@KEY]` (else the active one) picks
    /// it; an unknown name is 404 with the names that exist.
    mutating func addScenarioRoute(
        _ method: String,
        _ pattern: String,
        registry: ScenarioRegistry,
        _ handler: @escaping @Sendable (HTTPRequest, ScenarioState) -> HTTPResponse
    ) {
        add(method, pattern, errors: ControlErrorShape()) { request in
            switch registry.scenario(request.queryValue("scenario")) {
            case .success(let state): return handler(request, state)
            case .failure(let unknown): return AdminAPI.error(404, unknown.message, known: unknown.known)
            }
        }
    }
}
