import JSON
import MicroHTTP
import Platform
import Seeds
import Store

/// `/__admin/zitadel/auth-requests[/{id}]` with `?scenario=NAME[@KEY]`: the test's side of an OIDC
/// login. It creates an auth request as `/oauth/v2/authorize` would, and reads which session and
/// user (or which OAuth error) CreateCallback ended one with.
struct ZitadelAuthRequestAPI: Sendable {
    let registry: ScenarioRegistry
    static let path = "/__admin/zitadel/auth-requests"

    func register(on router: inout Router) {
        router.addScenarioRoute("GET", Self.path, registry: registry) { _, state in
            let entries = state.withSessions { store in
                store.authRequests.values.sorted { $0.seed.id < $1.seed.id }.map(Self.entry)
            }
            return .json(200, JSONValue.object([("authRequests", .array(entries))]).serialized)
        }
        router.addScenarioRoute("GET", Self.path + "/:id", registry: registry) { request, state in
            let id = request.pathParameters["id"] ?? ""
            guard let found = state.withSessions({ $0.authRequests[id] }) else {
                return AdminAPI.error(404, "no auth request with id '\(id)'")
            }
            return .json(200, Self.entry(found).serialized)
        }
        router.addScenarioRoute("POST", Self.path, registry: registry) { request, state in
            Self.create(request, state)
        }
    }

    /// Validates the body as a `zitadel.oidc.authRequests` entry of the copy's clients (an id is
    /// made when it has none) and stores it, unhandled.
    static func create(_ request: HTTPRequest, _ state: ScenarioState) -> HTTPResponse {
        guard case .object(var members)? = try? JSONParser.parse(request.body) else {
            return AdminAPI.seedError(SeedError(file: "request body", reason: "expected a JSON object"))
        }
        let now = state.clock.nowMicros()
        return state.withSessions { store in
            if !members.contains(where: { $0.key == "id" }) {
                members.insert(("id", .string(store.newAuthRequestId())), at: 0)
            }
            let parsed: ZitadelAuthRequestSeed
            do throws(SeedError) {
                parsed = try SeedParser.parseAuthRequestEntry(
                    .object(members),
                    clients: Array(store.oidcClients.values)
                )
            } catch {
                return AdminAPI.seedError(error)
            }
            guard store.authRequests[parsed.id] == nil else {
                return AdminAPI.error(409, "auth request '\(parsed.id)' exists")
            }
            let stored = ZitadelAuthRequest(seed: parsed, now: now)
            store.authRequests[parsed.id] = stored
            return .json(201, entry(stored).serialized)
        }
    }

    /// The entry as the seed spells it, its creation date, and its outcome once handled.
    static func entry(_ request: ZitadelAuthRequest) -> JSONValue {
        let seed = request.seed
        var members: [(key: String, value: JSONValue)] = [
            ("id", .string(seed.id)),
            ("clientId", .string(seed.clientId)),
            ("redirectUri", .string(seed.redirectUri)),
            ("scope", .array(seed.scope.map(JSONValue.string))),
        ]
        if let state = seed.state { members.append(("state", .string(state))) }
        members.append(("prompt", .array(seed.prompt.map(JSONValue.string))))
        if let hint = seed.loginHint { members.append(("loginHint", .string(hint))) }
        members.append(("uiLocales", .array(seed.uiLocales.map(JSONValue.string))))
        if let maxAge = seed.maxAgeSeconds { members.append(("maxAge", .number(String(maxAge)))) }
        if let user = seed.hintUserId { members.append(("hintUserId", .string(user))) }
        members.append(("creationDate", .string(RFC3339.format(micros: request.creationMicros))))
        switch request.outcome {
        case nil:
            members.append(("outcome", .null))
        case .session(let sessionId, let userId, let url)?:
            members.append(
                (
                    "outcome",
                    .object([
                        ("sessionId", .string(sessionId)), ("userId", .string(userId)), ("callbackUrl", .string(url)),
                    ])
                )
            )
        case .error(let reason, let url)?:
            members.append(("outcome", .object([("error", .string(reason)), ("callbackUrl", .string(url))])))
        }
        return .object(members)
    }
}
