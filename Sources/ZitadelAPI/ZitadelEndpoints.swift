import JSON
import MicroHTTP
import MockPipeline
import Seeds

/// Every ZITADEL RPC the mock serves, each declared once (see `ZitadelEndpoint`).
package enum ZitadelEndpoints {
    package static let all: [ZitadelEndpoint] =
        sessionService + userService + settingsService + organizationService + oidcService

    /// Every ZITADEL endpoint as the app's route table takes them: the RPCs, and the OAuth endpoints.
    package static var mockEndpoints: [MockEndpoint] { all.map(\.mockEndpoint) + ZitadelOAuthAPI.endpoints }

    /// The names a seed's `match.rpc` may use.
    package static var rpcNames: [String] { all.map(\.method) }

    /// Why a `zitadel.settings` seed value is not its settings message's wire JSON, or nil.
    package static let settingsSeedProblem: SeedVocabulary.SettingsCheck = ZitadelSettingsAPI.seedProblem

    /// The path prefixes ZITADEL owns, so that a refusal under them (404, 405, 413, …) is
    /// answered in ZITADEL's shape: REST's `/v2/`, and each service's RPC path.
    package static var prefixes: [(prefix: String, errors: any ErrorShape)] {
        [("/v2/", ZitadelRESTErrorShape()), (ZitadelOAuthAPI.prefix, ZitadelOAuthAPI.ErrorShape())]
            + services.map { ("/\($0)/", ZitadelRPC.ErrorShapeByContentType()) }
    }

    /// The services declared, each once, in declaration order (`zitadel.session.v2.SessionService`, …).
    package static var services: [String] {
        var seen: Set<String> = []
        return all.map(\.service).filter { seen.insert($0).inserted }
    }

    static let sessionServiceName = "zitadel.session.v2.SessionService"

    /// `zitadel.session.v2.SessionService` (proto/zitadel/session_service.proto).
    static let sessionService: [ZitadelEndpoint] = [
        ZitadelEndpoint(
            service: sessionServiceName,
            method: "GetSession",
            request: Zitadel_Session_V2_GetSessionRequest.self,
            response: Zitadel_Session_V2_GetSessionResponse.self,
            rest: .init(method: "GET", path: "/v2/sessions/{sessionId}", body: nil, successStatus: 200),
            permission: "session.read",
            fields: .sessionId(get: { $0.sessionID }, set: { $0.sessionID = $1 })
                .query(["sessionToken", "session_token"], set: { $0.sessionToken = $1 }),
            handle: ZitadelSessionAPI.getSession
        ),
        ZitadelEndpoint(
            service: sessionServiceName,
            method: "CreateSession",
            request: Zitadel_Session_V2_CreateSessionRequest.self,
            response: Zitadel_Session_V2_CreateSessionResponse.self,
            rest: .init(method: "POST", path: "/v2/sessions", body: "*", successStatus: 201),
            permission: "session.write",
            fields: ZitadelRequestFields().loginName { $0.checkedLoginName },
            handle: { request, call throws(ZitadelError) in
                MessageReply(
                    try ZitadelSessionLifecycle.create(request, authorization: call.authorization, state: call.state)
                )
            }
        ),
        ZitadelEndpoint(
            service: sessionServiceName,
            method: "ListSessions",
            request: Zitadel_Session_V2_ListSessionsRequest.self,
            response: Zitadel_Session_V2_ListSessionsResponse.self,
            rest: .init(method: "POST", path: "/v2/sessions/search", body: "*", successStatus: 200),
            permission: "session.read",
            fields: ZitadelRequestFields(),
            handle: { request, call throws(ZitadelError) in
                try ZitadelSessionLifecycle.list(request, authorization: call.authorization, state: call.state)
            }
        ),
        ZitadelEndpoint(
            service: sessionServiceName,
            method: "SetSession",
            request: Zitadel_Session_V2_SetSessionRequest.self,
            response: Zitadel_Session_V2_SetSessionResponse.self,
            rest: .init(method: "PATCH", path: "/v2/sessions/{sessionId}", body: "*", successStatus: 200),
            permission: "session.write",
            fields: .sessionId(get: { $0.sessionID }, set: { $0.sessionID = $1 }).loginName { $0.checkedLoginName },
            handle: { request, call throws(ZitadelError) in
                MessageReply(
                    try ZitadelSessionLifecycle.set(request, authorization: call.authorization, state: call.state)
                )
            }
        ),
        ZitadelEndpoint(
            service: sessionServiceName,
            method: "DeleteSession",
            request: Zitadel_Session_V2_DeleteSessionRequest.self,
            response: Zitadel_Session_V2_DeleteSessionResponse.self,
            rest: .init(method: "DELETE", path: "/v2/sessions/{sessionId}", body: "*", successStatus: 200),
            permission: "session.delete",
            fields: .sessionId(get: { $0.sessionID }, set: { $0.sessionID = $1 }),
            handle: { request, call throws(ZitadelError) in
                MessageReply(
                    try ZitadelSessionLifecycle.delete(request, authorization: call.authorization, state: call.state)
                )
            }
        ),
    ]
}

extension ZitadelEndpoints {
    static let userServiceName = "zitadel.user.v2.UserService"

    /// `zitadel.user.v2.UserService` (proto/zitadel/user_service.proto): the user RPCs a login UI calls.
    static let userService: [ZitadelEndpoint] = [
        ZitadelEndpoint(
            service: userServiceName,
            method: "ListUsers",
            request: Zitadel_User_V2_ListUsersRequest.self,
            response: Zitadel_User_V2_ListUsersResponse.self,
            rest: .init(method: "POST", path: "/v2/users", body: "*", successStatus: 200),
            permission: ZitadelUserAPI.permission,
            fields: ZitadelRequestFields(),
            handle: ZitadelUserAPI.listUsers
        ),
        ZitadelEndpoint(
            service: userServiceName,
            method: "GetUserByID",
            request: Zitadel_User_V2_GetUserByIDRequest.self,
            response: Zitadel_User_V2_GetUserByIDResponse.self,
            rest: .init(method: "GET", path: "/v2/users/{userId}", body: nil, successStatus: 200),
            permission: ZitadelUserAPI.permission,
            fields: ZitadelRequestFields().path("userId", set: { $0.userID = $1 }),
            handle: ZitadelUserAPI.getUserByID
        ),
        ZitadelEndpoint(
            service: userServiceName,
            method: "ListAuthenticationMethodTypes",
            request: Zitadel_User_V2_ListAuthenticationMethodTypesRequest.self,
            response: Zitadel_User_V2_ListAuthenticationMethodTypesResponse.self,
            rest: .init(
                method: "GET",
                path: "/v2/users/{userId}/authentication_methods",
                body: nil,
                successStatus: 200
            ),
            permission: ZitadelUserAPI.permission,
            fields: ZitadelRequestFields().path("userId", set: { $0.userID = $1 }),
            handle: ZitadelUserAPI.listAuthenticationMethodTypes
        ),
    ]
}

extension ZitadelEndpoints {
    static let settingsServiceName = "zitadel.settings.v2.SettingsService"

    /// `zitadel.settings.v2.SettingsService` (proto/zitadel/settings_service.proto): what a login UI
    /// reads before and while it logs a user in.
    static let settingsService: [ZitadelEndpoint] = [
        ZitadelEndpoint(
            service: settingsServiceName,
            method: "GetGeneralSettings",
            request: Zitadel_Settings_V2_GetGeneralSettingsRequest.self,
            response: Zitadel_Settings_V2_GetGeneralSettingsResponse.self,
            rest: .init(method: "GET", path: "/v2/settings", body: nil, successStatus: 200),
            permission: ZitadelSettingsAPI.permission,
            fields: ZitadelRequestFields(),
            handle: ZitadelSettingsAPI.general
        ),
        ZitadelEndpoint(
            service: settingsServiceName,
            method: "GetLoginSettings",
            request: Zitadel_Settings_V2_GetLoginSettingsRequest.self,
            response: Zitadel_Settings_V2_GetLoginSettingsResponse.self,
            rest: .init(method: "GET", path: "/v2/settings/login", body: nil, successStatus: 200),
            permission: ZitadelSettingsAPI.permission,
            fields: .context,
            handle: ZitadelSettingsAPI.login
        ),
        ZitadelEndpoint(
            service: settingsServiceName,
            method: "GetActiveIdentityProviders",
            request: Zitadel_Settings_V2_GetActiveIdentityProvidersRequest.self,
            response: Zitadel_Settings_V2_GetActiveIdentityProvidersResponse.self,
            rest: .init(method: "GET", path: "/v2/settings/login/idps", body: nil, successStatus: 200),
            permission: ZitadelSettingsAPI.permission,
            fields: .context
                .query(
                    ["creationAllowed", "creation_allowed"],
                    set: { $0.creationAllowed = ZitadelSettingsAPI.parseBool($1) }
                )
                .query(
                    ["linkingAllowed", "linking_allowed"],
                    set: { $0.linkingAllowed = ZitadelSettingsAPI.parseBool($1) }
                )
                .query(["autoCreation", "auto_creation"], set: { $0.autoCreation = ZitadelSettingsAPI.parseBool($1) })
                .query(["autoLinking", "auto_linking"], set: { $0.autoLinking = ZitadelSettingsAPI.parseBool($1) }),
            handle: ZitadelSettingsAPI.identityProviders
        ),
        ZitadelEndpoint(
            service: settingsServiceName,
            method: "GetPasswordComplexitySettings",
            request: Zitadel_Settings_V2_GetPasswordComplexitySettingsRequest.self,
            response: Zitadel_Settings_V2_GetPasswordComplexitySettingsResponse.self,
            rest: .init(method: "GET", path: "/v2/settings/password/complexity", body: nil, successStatus: 200),
            permission: ZitadelSettingsAPI.permission,
            fields: .context,
            handle: ZitadelSettingsAPI.passwordComplexity
        ),
        ZitadelEndpoint(
            service: settingsServiceName,
            method: "GetPasswordExpirySettings",
            request: Zitadel_Settings_V2_GetPasswordExpirySettingsRequest.self,
            response: Zitadel_Settings_V2_GetPasswordExpirySettingsResponse.self,
            rest: .init(method: "GET", path: "/v2/settings/password/expiry", body: nil, successStatus: 200),
            permission: ZitadelSettingsAPI.permission,
            fields: .context,
            handle: ZitadelSettingsAPI.passwordExpiry
        ),
        ZitadelEndpoint(
            service: settingsServiceName,
            method: "GetBrandingSettings",
            request: Zitadel_Settings_V2_GetBrandingSettingsRequest.self,
            response: Zitadel_Settings_V2_GetBrandingSettingsResponse.self,
            rest: .init(method: "GET", path: "/v2/settings/branding", body: nil, successStatus: 200),
            permission: ZitadelSettingsAPI.permission,
            fields: .context,
            handle: ZitadelSettingsAPI.branding
        ),
        ZitadelEndpoint(
            service: settingsServiceName,
            method: "GetDomainSettings",
            request: Zitadel_Settings_V2_GetDomainSettingsRequest.self,
            response: Zitadel_Settings_V2_GetDomainSettingsResponse.self,
            rest: .init(method: "GET", path: "/v2/settings/domain", body: nil, successStatus: 200),
            permission: ZitadelSettingsAPI.permission,
            fields: .context,
            handle: ZitadelSettingsAPI.domain
        ),
        ZitadelEndpoint(
            service: settingsServiceName,
            method: "GetLegalAndSupportSettings",
            request: Zitadel_Settings_V2_GetLegalAndSupportSettingsRequest.self,
            response: Zitadel_Settings_V2_GetLegalAndSupportSettingsResponse.self,
            rest: .init(method: "GET", path: "/v2/settings/legal_support", body: nil, successStatus: 200),
            permission: ZitadelSettingsAPI.permission,
            fields: .context,
            handle: ZitadelSettingsAPI.legalAndSupport
        ),
        ZitadelEndpoint(
            service: settingsServiceName,
            method: "GetLockoutSettings",
            request: Zitadel_Settings_V2_GetLockoutSettingsRequest.self,
            response: Zitadel_Settings_V2_GetLockoutSettingsResponse.self,
            rest: .init(method: "GET", path: "/v2/settings/lockout", body: nil, successStatus: 200),
            permission: ZitadelSettingsAPI.permission,
            fields: .context,
            handle: ZitadelSettingsAPI.lockout
        ),
        ZitadelEndpoint(
            service: settingsServiceName,
            method: "GetSecuritySettings",
            request: Zitadel_Settings_V2_GetSecuritySettingsRequest.self,
            response: Zitadel_Settings_V2_GetSecuritySettingsResponse.self,
            rest: .init(method: "GET", path: "/v2/settings/security", body: nil, successStatus: 200),
            permission: ZitadelSettingsAPI.securityPermission,
            fields: ZitadelRequestFields(),
            handle: ZitadelSettingsAPI.security
        ),
    ]
}

extension ZitadelEndpoints {
    /// `zitadel.org.v2.OrganizationService` (proto/zitadel/org_service.proto).
    static let organizationService: [ZitadelEndpoint] = [
        ZitadelEndpoint(
            service: "zitadel.org.v2.OrganizationService",
            method: "ListOrganizations",
            request: Zitadel_Org_V2_ListOrganizationsRequest.self,
            response: Zitadel_Org_V2_ListOrganizationsResponse.self,
            rest: .init(method: "POST", path: "/v2/organizations/_search", body: "*", successStatus: 200),
            permission: ZitadelOrganizationAPI.permission,
            fields: ZitadelRequestFields(),
            handle: ZitadelOrganizationAPI.listOrganizations
        )
    ]
}

extension ZitadelEndpoints {
    static let oidcServiceName = "zitadel.oidc.v2.OIDCService"

    /// `zitadel.oidc.v2.OIDCService` (proto/zitadel/oidc_service.proto).
    static let oidcService: [ZitadelEndpoint] = [
        ZitadelEndpoint(
            service: oidcServiceName,
            method: "GetAuthRequest",
            request: Zitadel_Oidc_V2_GetAuthRequestRequest.self,
            response: Zitadel_Oidc_V2_GetAuthRequestResponse.self,
            rest: .init(method: "GET", path: "/v2/oidc/auth_requests/{authRequestId}", body: nil, successStatus: 200),
            permission: ZitadelOIDCAPI.readPermission,
            fields: ZitadelRequestFields().path("authRequestId", set: { $0.authRequestID = $1 }),
            handle: ZitadelOIDCAPI.getAuthRequest
        ),
        ZitadelEndpoint(
            service: oidcServiceName,
            method: "CreateCallback",
            request: Zitadel_Oidc_V2_CreateCallbackRequest.self,
            response: Zitadel_Oidc_V2_CreateCallbackResponse.self,
            rest: .init(method: "POST", path: "/v2/oidc/auth_requests/{authRequestId}", body: "*", successStatus: 200),
            permission: ZitadelOIDCAPI.linkPermission,
            fields: ZitadelRequestFields().path("authRequestId", set: { $0.authRequestID = $1 }),
            handle: ZitadelOIDCAPI.createCallback
        ),
    ]
}

/// Requests whose checks may name a user by login name (CreateSession, SetSession).
protocol UserChecking {
    var checks: Zitadel_Session_V2_Checks { get }
    var hasChecks: Bool { get }
}

extension UserChecking {
    var checkedLoginName: String? {
        guard hasChecks, case .loginName(let name)? = checks.user.search else { return nil }
        return name
    }
}

extension Zitadel_Session_V2_CreateSessionRequest: UserChecking {}
extension Zitadel_Session_V2_SetSessionRequest: UserChecking {}
