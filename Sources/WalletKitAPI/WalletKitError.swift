import JSON
import MicroHTTP
import MockPipeline
import Seeds

/// WalletKit's `ErrorResponse`: `{"code": snake_case string or null, "error": text}`. Handlers
/// throw it; the endpoint answers it with its HTTP status.
public struct WalletKitError: Error, Sendable, Equatable {
    public var httpStatus: Int
    public var code: String?
    public var error: String

    public init(httpStatus: Int, code: String?, error: String) {
        self.httpStatus = httpStatus
        self.code = code
        self.error = error
    }

    public var json: [UInt8] {
        var w = JSONWriter(capacity: 96)
        w.raw("{\"code\":")
        if let code { w.string(code) } else { w.raw("null") }
        w.raw(UInt8(ascii: ","))
        w.key("error")
        w.string(error)
        w.raw(UInt8(ascii: "}"))
        return w.bytes
    }

    public var response: HTTPResponse { .json(httpStatus, json) }

    // GET /users/session-challenge's rows (docs/walletkit.md), in the order they are checked.
    public static let missingProjectId = WalletKitError(
        httpStatus: 401,
        code: "missing_project_id",
        error: "X-WalletKit-Project-ID header is required"
    )
    public static let invalidProjectId = WalletKitError(
        httpStatus: 401,
        code: "invalid_project_id",
        error: "Invalid project ID"
    )
    public static let missingCode = WalletKitError(
        httpStatus: 400,
        code: "missing_code",
        error: "Query parameter 'code' is required"
    )
    public static let challengeNotFound = WalletKitError(
        httpStatus: 400,
        code: "session_challenge_not_found",
        error: "Session challenge not found"
    )
    public static let forbidden = WalletKitError(
        httpStatus: 403,
        code: "forbidden",
        error: "Session challenge belongs to another project"
    )
    public static let internalError = WalletKitError(httpStatus: 500, code: nil, error: "Internal server error")

    // The login flow's rows (docs/walletkit.md).
    public static let challengeAlreadyUsed = WalletKitError(
        httpStatus: 400,
        code: "session_challenge_already_used",
        error: "Session challenge has already been used"
    )
    public static let challengeNotCompleted = WalletKitError(
        httpStatus: 400,
        code: "session_challenge_not_completed",
        error: "Session challenge has not been completed"
    )
    public static let challengeExpired = WalletKitError(
        httpStatus: 400,
        code: "session_challenge_expired",
        error: "Session challenge has expired"
    )
    public static let invalidVerificationCode = WalletKitError(
        httpStatus: 400,
        code: "invalid_verification_code",
        error: "Invalid verification code"
    )
    public static let userNotFound = WalletKitError(httpStatus: 400, code: "user_not_found", error: "User not found")
    public static let invalidRefreshToken = WalletKitError(
        httpStatus: 401,
        code: "invalid_refresh_token",
        error: "Invalid refresh token"
    )
    public static let invalidAccessToken = WalletKitError(
        httpStatus: 401,
        code: "invalid_access_token",
        error: "Invalid access token"
    )
    public static func missingField(_ name: String) -> WalletKitError {
        WalletKitError(httpStatus: 400, code: "missing_field", error: "'\(name)' is required")
    }
    // Bodies WalletKit's spec leaves open (docs/decisions.md).
    public static let invalidBody = WalletKitError(
        httpStatus: 400,
        code: "invalid_body",
        error: "Request body must be a JSON object"
    )
    public static func invalidField(_ name: String, _ reason: String) -> WalletKitError {
        WalletKitError(httpStatus: 400, code: "invalid_field", error: "'\(name)' \(reason)")
    }
    public static let conflictingLoginForms = WalletKitError(
        httpStatus: 400,
        code: "conflicting_fields",
        error: "Send either 'session_challenge_code' or 'user_id' and 'verification_code', not both"
    )
    public static func unsupportedLoginMethod(_ field: String) -> WalletKitError {
        WalletKitError(
            httpStatus: 400,
            code: "unsupported_login_method",
            error: "'\(field)' logins are not mocked: use 'session_challenge_code' or 'user_id' and 'verification_code'"
        )
    }
    public static let badRequest = WalletKitError(httpStatus: 400, code: "bad_request", error: "Bad request")
    public static let forbiddenProject = WalletKitError(httpStatus: 403, code: "forbidden", error: "Forbidden")

    public static func badRequest(code: String, _ text: String) -> WalletKitError {
        WalletKitError(httpStatus: 400, code: code, error: text)
    }

    public static let methodNotAllowed = WalletKitError(
        httpStatus: 405,
        code: "method_not_allowed",
        error: "Method not allowed"
    )
    public static let notFound = WalletKitError(httpStatus: 404, code: "not_found", error: "Not found")
}

/// WalletKit's `ErrorResponse` for everything answered on its routes besides the handler's own
/// rows: the router's refusals, the pipeline's 400s and forced statuses.
// A class, so that passing it as `any MockErrorShape` costs a reference, not a boxed copy.
package final class WalletKitErrorShape: MockErrorShape {
    /// The endpoint's own 400 and 403 rows; `GET /users/session-challenge`'s for paths no route has.
    let forcedBadRequest: WalletKitError
    let forcedForbidden: WalletKitError

    package init(endpoint: WalletKitEndpoint) {
        forcedBadRequest = endpoint.forcedBadRequest
        forcedForbidden = endpoint.forcedForbidden
    }

    package var api: MockedAPI { .walletKit }

    package func response(to refusal: Refusal, for request: HTTPRequest) -> HTTPResponse {
        switch refusal {
        case .notFound: return WalletKitError.notFound.response
        case .methodNotAllowed: return WalletKitError.methodNotAllowed.response
        default: return WalletKitError(httpStatus: refusal.status, code: refusal.code, error: refusal.message).response
        }
    }

    package func badRequest(code: String, _ text: String) -> HTTPResponse {
        WalletKitError.badRequest(code: code, text).response
    }

    package func forced(status: Int) -> HTTPResponse? {
        WalletKitEndpoint.forced(status: status, badRequest: forcedBadRequest, forbidden: forcedForbidden)?.response
    }
}
