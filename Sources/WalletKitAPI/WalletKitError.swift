import MicroHTTP
import Seeds
import JSON
import MockPipeline

/// WalletKit's `ErrorResponse`: `{"code": snake_case string or null, "error": text}`.
public struct WalletKitError: Sendable, Equatable {
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

    // The rows of contract §1, in the order they are checked.
    public static let missingProjectId = WalletKitError(httpStatus: 401, code: "missing_project_id", error: "X-WalletKit-Project-ID header is required")
    public static let invalidProjectId = WalletKitError(httpStatus: 401, code: "invalid_project_id", error: "Invalid project ID")
    public static let missingCode = WalletKitError(httpStatus: 400, code: "missing_code", error: "Query parameter 'code' is required")
    public static let challengeNotFound = WalletKitError(httpStatus: 400, code: "session_challenge_not_found", error: "Session challenge not found")
    public static let forbidden = WalletKitError(httpStatus: 403, code: "forbidden", error: "Session challenge belongs to another project")
    public static let internalError = WalletKitError(httpStatus: 500, code: nil, error: "Internal server error")

    /// What a fault rule or `X-Mock-Status` forces: the first row of the table with that status.
    public static func forced(status: Int) -> WalletKitError? {
        switch status {
        case 401: return .missingProjectId
        case 400: return .missingCode
        case 403: return .forbidden
        case 500: return .internalError
        default: return nil
        }
    }

    public static func badRequest(code: String, _ text: String) -> WalletKitError {
        WalletKitError(httpStatus: 400, code: code, error: text)
    }

    public static let methodNotAllowed = WalletKitError(httpStatus: 405, code: "method_not_allowed", error: "Method not allowed")
    public static let notFound = WalletKitError(httpStatus: 404, code: "not_found", error: "Not found")
}

/// WalletKit's `ErrorResponse` for everything answered on its routes besides the handler's own
/// rows: the router's refusals, the pipeline's 400s and forced statuses.
package struct WalletKitErrorShape: MockErrorShape {
    package init() {}

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
        WalletKitError.forced(status: status)?.response
    }
}
