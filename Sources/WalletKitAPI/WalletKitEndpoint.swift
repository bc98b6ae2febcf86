import MicroHTTP
import MockPipeline
import Seeds
import Store

/// One WalletKit endpoint, declared once: method, path, the vendor spec's operation id, the rows
/// a test may force on it, what fault rules read from it, and its handler. The route table,
/// `session-mock routes` and the OpenAPI and fuzz-dictionary checks read `WalletKitEndpoint.all`.
public struct WalletKitEndpoint: Sendable, CustomStringConvertible {
    public let method: String
    public let path: String
    /// The operation id in WalletKit's OpenAPI.
    public let operationId: String
    /// The first 400 and 403 rows of this endpoint: what `X-Mock-Status` and a fault rule's
    /// status force (401 and 500 are the same on every endpoint).
    let forcedBadRequest: WalletKitError
    let forcedForbidden: WalletKitError
    /// The session challenge code the request names, for a fault rule's `match.code`.
    let challengeCode: (@Sendable (HTTPRequest) -> String?)?
    let handle: @Sendable (HTTPRequest, ScenarioState) throws(WalletKitError) -> HTTPResponse

    public var description: String { "\(method) \(path)" }

    /// Every endpoint, in the order the route table adds them.
    public static let all: [WalletKitEndpoint] = [getSessionChallenge] + login

    /// The login flow's endpoints (all `POST`, all starting with the project header rows).
    public static let login: [WalletKitEndpoint] = [
        createSessionChallenge, loginWithEmail, loginWithMagicLink, verifyLogin, refreshToken, logout,
    ]

    public static let getSessionChallenge = WalletKitEndpoint(
        method: "GET",
        path: "/users/session-challenge",
        operationId: "users_get-session-challenge",
        forcedBadRequest: .missingCode,
        forcedForbidden: .forbidden,
        challengeCode: { $0.queryValue("code") },
        handle: SessionChallengeAPI.getSessionChallenge
    )

    public static let createSessionChallenge = WalletKitEndpoint(
        method: "POST",
        path: "/users/create-session-challenge",
        operationId: "users_create-session-challenge",
        forcedBadRequest: .badRequest,
        forcedForbidden: .forbiddenProject,
        challengeCode: nil,
        handle: WalletKitLoginAPI.createSessionChallenge
    )

    public static let loginWithEmail = WalletKitEndpoint(
        method: "POST",
        path: "/users/login-with-email",
        operationId: "users_login-with-email",
        forcedBadRequest: .userNotFound,
        forcedForbidden: .forbiddenProject,
        challengeCode: nil,
        handle: WalletKitLoginAPI.loginWithEmail
    )

    public static let loginWithMagicLink = WalletKitEndpoint(
        method: "POST",
        path: "/users/login-with-magic-link",
        operationId: "users_login-with-magic-link",
        forcedBadRequest: .userNotFound,
        forcedForbidden: .forbiddenProject,
        challengeCode: nil,
        handle: WalletKitLoginAPI.loginWithMagicLink
    )

    public static let verifyLogin = WalletKitEndpoint(
        method: "POST",
        path: "/users/verify-login",
        operationId: "users_verify-login",
        forcedBadRequest: .challengeNotCompleted,
        forcedForbidden: .forbidden,
        challengeCode: WalletKitLoginAPI.challengeCode,
        handle: WalletKitLoginAPI.verifyLogin
    )

    public static let refreshToken = WalletKitEndpoint(
        method: "POST",
        path: "/users/refresh-token",
        operationId: "users_refresh-token",
        forcedBadRequest: .badRequest,
        forcedForbidden: .forbiddenProject,
        challengeCode: nil,
        handle: WalletKitLoginAPI.refreshToken
    )

    public static let logout = WalletKitEndpoint(
        method: "POST",
        path: "/users/logout",
        operationId: "users_logout",
        forcedBadRequest: .badRequest,
        forcedForbidden: .forbiddenProject,
        challengeCode: nil,
        handle: WalletKitLoginAPI.logout
    )

    /// What `X-Mock-Status` or a fault rule's status forces here: the endpoint's first row with
    /// that status (the project header rows come first on every endpoint, so 401 is
    /// `missing_project_id`).
    public func forced(status: Int) -> WalletKitError? {
        Self.forced(status: status, badRequest: forcedBadRequest, forbidden: forcedForbidden)
    }

    static func forced(status: Int, badRequest: WalletKitError, forbidden: WalletKitError) -> WalletKitError? {
        switch status {
        case 401: return .missingProjectId
        case 400: return badRequest
        case 403: return forbidden
        case 500: return .internalError
        default: return nil
        }
    }

    /// Serves one request: the pipeline (`X-Mock-*` headers, fault rules), then the handler; a
    /// thrown `WalletKitError` is answered as its `ErrorResponse`.
    func serve(
        _ request: HTTPRequest,
        pipeline: MockRequestPipeline,
        shape: WalletKitErrorShape
    ) -> (HTTPResponse, scenario: String?) {
        pipeline.run(
            request,
            shape: shape,
            subject: { FaultSubject(code: challengeCode?(request)) },
            endpoint: { request, state in
                do throws(WalletKitError) {
                    return try handle(request, state)
                } catch {
                    return error.response
                }
            }
        )
    }

    /// The endpoint as the app's route table takes it.
    package var mockEndpoint: MockEndpoint {
        // One shape per route, shared by its requests: made per request, it would be a heap box
        // holding a copy of this whole declaration.
        let shape = WalletKitErrorShape(endpoint: self)
        return MockEndpoint(
            api: .walletKit,
            name: operationId,
            vendorOperationId: operationId,
            faultKeys: challengeCode == nil ? [] : ["code"],
            permission: nil,
            routes: [
                MockRoute(
                    method: method,
                    pattern: path,
                    transport: .rest,
                    errors: shape,
                    serve: { request, pipeline in serve(request, pipeline: pipeline, shape: shape) }
                )
            ]
        )
    }

    /// The prefix WalletKit owns: refusals under it are answered as WalletKit's `ErrorResponse`.
    package static var prefixes: [(prefix: String, errors: any ErrorShape)] {
        [("/users/", WalletKitErrorShape(endpoint: .getSessionChallenge))]
    }
}
