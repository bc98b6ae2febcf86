import Platform
import Seeds
import Store

/// `zitadel.oidc.v2.OIDCService`: the auth request a login UI was sent with, and the callback
/// that hands it a session (or an OAuth error) and sends the user back to the app.
enum ZitadelOIDCAPI {
    /// GetAuthRequest's permission, as its proto documents it.
    static let readPermission = "session.read"
    /// CreateCallback's permission, as its proto documents it.
    static let linkPermission = "session.link"

    static let authRequestNotFound = ZitadelError(
        httpStatus: 404,
        grpcCode: 5,
        text: "Auth Request does not exist",
        id: "QUERY-Thee9"
    )
    static let callbackAuthRequestNotFound = ZitadelError(
        httpStatus: 404,
        grpcCode: 5,
        text: "Auth Request does not exist",
        id: "COMMAND-jae5P"
    )
    static let alreadyHandled = ZitadelError(
        httpStatus: 400,
        grpcCode: 9,
        text: "Auth Request has already been handled",
        id: "COMMAND-Sx208nt"
    )
    /// A session whose user was never checked cannot log anyone in.
    static let sessionWithoutUser = ZitadelError(
        httpStatus: 400,
        grpcCode: 9,
        text: "the session has no checked user",
        id: nil
    )

    static func getAuthRequest(
        _ request: Zitadel_Oidc_V2_GetAuthRequestRequest,
        _ call: ZitadelCall
    ) throws(ZitadelError) -> MessageReply<Zitadel_Oidc_V2_GetAuthRequestResponse> {
        try call.state.withSessions { store throws(ZitadelError) in
            let caller = try ZitadelSessionLifecycle.authenticate(call.authorization, store)
            try length(request.authRequestID, "GetAuthRequestRequest.AuthRequestId")
            try ZitadelSessionLifecycle.require(readPermission, of: caller)
            guard let found = store.authRequests[request.authRequestID] else { throw authRequestNotFound }
            return MessageReply(.with { $0.authRequest = message(found) })
        }
    }

    static func createCallback(
        _ request: Zitadel_Oidc_V2_CreateCallbackRequest,
        _ call: ZitadelCall
    ) throws(ZitadelError) -> MessageReply<Zitadel_Oidc_V2_CreateCallbackResponse> {
        let now = call.state.clock.nowMicros()
        return try call.state.withSessions { store throws(ZitadelError) in
            let caller = try ZitadelSessionLifecycle.authenticate(call.authorization, store)
            try length(request.authRequestID, "CreateCallbackRequest.AuthRequestId")
            switch request.callbackKind {
            case .session(let session)?:
                try length(session.sessionID, "Session.SessionId")
                try length(session.sessionToken, "Session.SessionToken")
            case .error?: break
            case nil: throw .invalidArgument("invalid CreateCallbackRequest.CallbackKind: value is required")
            }
            try ZitadelSessionLifecycle.require(linkPermission, of: caller)
            guard var found = store.authRequests[request.authRequestID] else { throw callbackAuthRequestNotFound }
            guard found.outcome == nil else { throw alreadyHandled }
            switch request.callbackKind {
            case .session(let session)?:
                guard let record = store.record(id: session.sessionID) else { throw .sessionNotFound }
                guard record.hasSessionToken(session.sessionToken) else { throw .wrongSessionToken }
                guard let userId = record.session.factors.user?.id else { throw sessionWithoutUser }
                let code = ZitadelSessionLifecycle.base64URLEncode(store.random.bytes(count: 24))
                var parameters = [("code", code)]
                if let state = found.seed.state { parameters.append(("state", state)) }
                let url = callbackUrl(found.seed.redirectUri, parameters)
                found.outcome = .session(sessionId: session.sessionID, userId: userId, callbackUrl: url)
            case .error(let error)?:
                let reason = oauthName(error.error)
                var parameters = [("error", reason)]
                if error.hasErrorDescription { parameters.append(("error_description", error.errorDescription)) }
                if let state = found.seed.state { parameters.append(("state", state)) }
                found.outcome = .error(reason: reason, callbackUrl: callbackUrl(found.seed.redirectUri, parameters))
            case nil: throw .invalidArgument("invalid CreateCallbackRequest.CallbackKind: value is required")
            }
            store.authRequests[request.authRequestID] = found
            let url = found.outcome?.callbackUrl ?? ""
            return MessageReply(
                .with {
                    $0.details = .with {
                        $0.sequence = 1
                        $0.changeDate = ZitadelSessionLifecycle.timestamp(now)
                        $0.resourceOwner = store.instanceId ?? ""
                    }
                    $0.callbackURL = url
                }
            )
        }
    }

    static func length(_ text: String, _ field: String) throws(ZitadelError) {
        guard ZitadelSessionAPI.scalarCount(of: text, isIn: 1...200) else {
            throw .invalidArgument("invalid \(field): value length must be between 1 and 200 runes, inclusive")
        }
    }

    /// The auth request as ZITADEL's `AuthRequest` message.
    static func message(_ request: ZitadelAuthRequest) -> Zitadel_Oidc_V2_AuthRequest {
        let seed = request.seed
        return .with {
            $0.id = seed.id
            $0.creationDate = ZitadelSessionLifecycle.timestamp(request.creationMicros)
            $0.clientID = seed.clientId
            $0.scope = seed.scope
            $0.redirectUri = seed.redirectUri
            $0.prompt = seed.prompt.map(prompt)
            $0.uiLocales = seed.uiLocales
            if let hint = seed.loginHint { $0.loginHint = hint }
            if let maxAge = seed.maxAgeSeconds { $0.maxAge = .init(seconds: Int64(maxAge), nanos: 0) }
            if let user = seed.hintUserId { $0.hintUserID = user }
        }
    }

    static func prompt(_ value: String) -> Zitadel_Oidc_V2_Prompt {
        switch value {
        case "none": return .none
        case "login": return .login
        case "consent": return .consent
        case "select_account": return .selectAccount
        case "create": return .create
        default: return .unspecified
        }
    }

    /// The OAuth 2.0 error name of a reason (`ERROR_REASON_ACCESS_DENIED` → `access_denied`).
    static func oauthName(_ reason: Zitadel_Oidc_V2_ErrorReason) -> String {
        switch reason {
        case .unspecified, .invalidRequest: return "invalid_request"
        case .unauthorizedClient: return "unauthorized_client"
        case .accessDenied: return "access_denied"
        case .unsupportedResponseType: return "unsupported_response_type"
        case .invalidScope: return "invalid_scope"
        case .serverError: return "server_error"
        case .temporaryUnavailable: return "temporarily_unavailable"
        case .interactionRequired: return "interaction_required"
        case .loginRequired: return "login_required"
        case .accountSelectionRequired: return "account_selection_required"
        case .consentRequired: return "consent_required"
        case .invalidRequestUri: return "invalid_request_uri"
        case .invalidRequestObject: return "invalid_request_object"
        case .requestNotSupported: return "request_not_supported"
        case .requestUriNotSupported: return "request_uri_not_supported"
        case .registrationNotSupported: return "registration_not_supported"
        case .UNRECOGNIZED: return "invalid_request"
        }
    }

    /// `redirectUri` with the query parameters added (form-encoded, after any it has).
    static func callbackUrl(_ redirectUri: String, _ parameters: [(String, String)]) -> String {
        let query = parameters.map { "\($0.0)=\(formEncoded($0.1))" }.joined(separator: "&")
        return redirectUri + (redirectUri.contains("?") ? "&" : "?") + query
    }

    /// RFC 3986 unreserved characters kept, every other byte as `%XX`.
    static func formEncoded(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            let unreserved =
                (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
                || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
            if unreserved {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
