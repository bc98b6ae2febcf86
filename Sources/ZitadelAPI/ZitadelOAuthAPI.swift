import JSON
import MicroHTTP
import MockPipeline
import Platform
import Seeds
import Store

/// ZITADEL's OAuth endpoints as an app meets them: `/oauth/v2/authorize` starts a login (an auth
/// request in the scenario copy, and a redirect to the client's login UI); the token endpoint is
/// not served and says so.
enum ZitadelOAuthAPI {
    static let prefix = "/oauth/v2/"

    /// `{"error","error_description"}`, OAuth 2.0's error body.
    static func oauthError(_ status: Int, _ error: String, _ description: String) -> HTTPResponse {
        .json(
            status,
            JSONValue.object([("error", .string(error)), ("error_description", .string(description))]).serialized
        )
    }

    /// The OAuth endpoints' refusals and forced statuses, in OAuth's error body.
    struct ErrorShape: MockErrorShape {
        var api: MockedAPI { .zitadel }

        func response(to refusal: Refusal, for request: HTTPRequest) -> HTTPResponse {
            ZitadelOAuthAPI.oauthError(
                refusal.status,
                refusal == .notFound ? "not_found" : "invalid_request",
                refusal.message
            )
        }

        func badRequest(code: String, _ text: String) -> HTTPResponse {
            ZitadelOAuthAPI.oauthError(400, "invalid_request", text)
        }

        func forced(status: Int) -> HTTPResponse? {
            switch status {
            case 400: return ZitadelOAuthAPI.oauthError(400, "invalid_request", "forced by the test")
            case 500: return ZitadelOAuthAPI.oauthError(500, "server_error", "forced by the test")
            default: return nil
            }
        }
    }

    /// `GET /oauth/v2/authorize`: the query's client and redirect URI must be registered
    /// (`zitadel.oidc.clients`), else 400 and no redirect; then a new auth request and a 302 to
    /// `<loginUrl>/login?authRequest=V2_…`.
    static func authorize(_ request: HTTPRequest, _ state: ScenarioState) -> HTTPResponse {
        guard let clientId = request.queryValue("client_id"), !clientId.isEmpty else {
            return oauthError(400, "invalid_request", "client_id is required")
        }
        guard let redirectUri = request.queryValue("redirect_uri"), !redirectUri.isEmpty else {
            return oauthError(400, "invalid_request", "redirect_uri is required")
        }
        guard request.queryValue("response_type") == "code" else {
            return oauthError(400, "unsupported_response_type", "response_type must be code")
        }
        let now = state.clock.nowMicros()
        return state.withSessions { store in
            guard let client = store.oidcClients[clientId] else {
                return oauthError(400, "invalid_request", "unknown client_id '\(clientId)'")
            }
            guard client.redirectUris.contains(redirectUri) else {
                return oauthError(
                    400,
                    "invalid_request",
                    "redirect_uri '\(redirectUri)' is not registered for this client"
                )
            }
            let id = store.newAuthRequestId()
            var seed = ZitadelAuthRequestSeed(id: id, clientId: clientId, redirectUri: redirectUri)
            seed.scope = words(request.queryValue("scope"))
            seed.state = request.queryValue("state").flatMap { $0.isEmpty ? nil : $0 }
            seed.prompt = words(request.queryValue("prompt")).filter {
                ZitadelAuthRequestSeed.promptValues.contains($0)
            }
            seed.loginHint = request.queryValue("login_hint").flatMap { $0.isEmpty ? nil : $0 }
            seed.uiLocales = words(request.queryValue("ui_locales"))
            seed.maxAgeSeconds = request.queryValue("max_age").flatMap { Int($0) }.flatMap { $0 >= 0 ? $0 : nil }
            store.authRequests[id] = ZitadelAuthRequest(seed: seed, now: now)
            let base = client.loginUrl.hasSuffix("/") ? String(client.loginUrl.dropLast()) : client.loginUrl
            return HTTPResponse(
                status: 302,
                headers: [HTTPField(name: "Location", value: "\(base)/login?authRequest=\(id)")],
                body: []
            )
        }
    }

    /// A space-separated OAuth parameter as its words.
    static func words(_ text: String?) -> [String] {
        (text ?? "").split(separator: " ").map(String.init)
    }

    /// `/oauth/v2/token`: not served; the body names what is.
    static func token(_ request: HTTPRequest, _ state: ScenarioState) -> HTTPResponse {
        oauthError(
            501,
            "unsupported",
            "session-mock serves no token endpoint: it serves /oauth/v2/authorize, the OIDC service's GetAuthRequest and "
                + "CreateCallback, and ZITADEL's session, user, settings and organization services"
        )
    }

    /// The two endpoints, as the app's route table takes them.
    package static var endpoints: [MockEndpoint] {
        let shape = ErrorShape()
        func route(
            _ method: String,
            _ path: String,
            _ handler: @escaping @Sendable (HTTPRequest, ScenarioState) -> HTTPResponse
        )
            -> MockRoute
        {
            MockRoute(
                method: method,
                pattern: path,
                transport: .rest,
                errors: shape,
                requiresCredentials: false,
                serve: { request, pipeline in
                    pipeline.run(request, shape: shape, subject: { FaultSubject() }, endpoint: handler)
                }
            )
        }
        return [
            MockEndpoint(
                api: .zitadel,
                name: "oauth/authorize",
                vendorOperationId: "oauth_authorize",
                faultKeys: [],
                permission: nil,
                routes: [route("GET", prefix + "authorize", authorize)]
            ),
            MockEndpoint(
                api: .zitadel,
                name: "oauth/token",
                vendorOperationId: "oauth_token",
                faultKeys: [],
                permission: nil,
                routes: [route("POST", prefix + "token", token)]
            ),
        ]
    }
}
