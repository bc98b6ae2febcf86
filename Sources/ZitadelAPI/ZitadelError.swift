import JSON
import MicroHTTP
import MockPipeline
import Seeds

/// A ZITADEL error: a gRPC code, ZITADEL's text and error ID. Handlers throw it; each transport
/// renders it in its own shape (REST: `{"code","message","details"}`, `details` left out when the
/// error has no ID; Connect, gRPC-Web: see their protocol types).
public struct ZitadelError: Error, Sendable, Equatable {
    public var httpStatus: Int
    /// gRPC code: 3 invalid argument, 5 not found, 7 permission denied, 13 internal, 16 unauthenticated.
    public var grpcCode: Int
    /// The text without the ID.
    public var text: String
    /// ZITADEL's error ID (e.g. `QUERY-SFeaa`), nil for errors that have none.
    public var id: String?
    /// A wrong password's count of the user's consecutive wrong passwords, this one included: its
    /// detail is then a `zitadel.v1.CredentialsCheckError`, else a `zitadel.v1.ErrorDetail`.
    public var failedAttempts: Int?

    public init(httpStatus: Int, grpcCode: Int, text: String, id: String?, failedAttempts: Int? = nil) {
        self.httpStatus = httpStatus
        self.grpcCode = grpcCode
        self.text = text
        self.id = id
        self.failedAttempts = failedAttempts
    }

    public var message: String { id.map { "\(text) (\($0))" } ?? text }

    /// The detail's message type: `zitadel.v1.ErrorDetail` or `zitadel.v1.CredentialsCheckError`.
    var detailTypeName: String {
        failedAttempts == nil
            ? Zitadel_V1_ErrorDetail.protoMessageName : Zitadel_V1_CredentialsCheckError.protoMessageName
    }

    /// The detail's fields as proto3 JSON members (`"id":…,"message":…[,"failedAttempts":N]`),
    /// as REST's `details` and Connect's `debug` carry them.
    func writeDetailMembers(_ w: inout JSONWriter, id: String) {
        w.key("id")
        w.string(id)
        w.raw(UInt8(ascii: ","))
        w.key("message")
        w.string(text)
        if let failedAttempts {
            w.raw(",\"failedAttempts\":\(failedAttempts)")
        }
    }

    public var json: [UInt8] {
        var w = JSONWriter(capacity: 160)
        w.raw("{\"code\":\(grpcCode),")
        w.key("message")
        w.string(message)
        if let id {
            w.raw(",\"details\":[{\"@type\":")
            w.string("type.googleapis.com/" + detailTypeName)
            w.raw(UInt8(ascii: ","))
            writeDetailMembers(&w, id: id)
            w.raw("}]")
        }
        w.raw(UInt8(ascii: "}"))
        return w.bytes
    }

    public var response: HTTPResponse { .json(httpStatus, json) }

    // GetSession's rows (docs/zitadel.md), in the order they are checked.
    public static let authHeaderMissing = ZitadelError(
        httpStatus: 401,
        grpcCode: 16,
        text: "auth header missing",
        id: nil
    )
    public static let invalidAuthHeader = ZitadelError(
        httpStatus: 401,
        grpcCode: 16,
        text: "invalid auth header",
        id: "AUTH-toLo1"
    )
    public static let tokenInvalid = ZitadelError(
        httpStatus: 401,
        grpcCode: 16,
        text: "Errors.Token.Invalid",
        id: "AUTH-7fs1e"
    )
    public static let invalidSessionId = ZitadelError(
        httpStatus: 400,
        grpcCode: 3,
        text: "invalid GetSessionRequest.SessionId: value length must be between 1 and 200 runes, inclusive",
        id: nil
    )
    public static let invalidSessionToken = ZitadelError(
        httpStatus: 400,
        grpcCode: 3,
        text: "invalid GetSessionRequest.SessionToken: value length must be between 1 and 500 runes, inclusive",
        id: nil
    )
    public static let sessionNotFound = ZitadelError(
        httpStatus: 404,
        grpcCode: 5,
        text: "Session does not exist",
        id: "QUERY-SFeaa"
    )
    public static let wrongSessionToken = ZitadelError(
        httpStatus: 403,
        grpcCode: 7,
        text: "Permission denied",
        id: "QUERY-dsfr3"
    )
    public static let noPermission = ZitadelError(
        httpStatus: 403,
        grpcCode: 7,
        text: "No matching permissions found",
        id: "AUTH-AWfge"
    )
    public static let internalError = ZitadelError(
        httpStatus: 500,
        grpcCode: 13,
        text: "An internal error occurred",
        id: "QUERY-SAder"
    )

    // The session lifecycle's checks: codes as docs/zitadel.md lists them, IDs and texts ZITADEL's
    // own (its internal/command, internal/query and internal/domain packages).
    public static let userNotFound = ZitadelError(
        httpStatus: 404,
        grpcCode: 5,
        text: "User could not be found",
        id: "QUERY-Dfbg2"
    )
    public static let userChanged = ZitadelError(
        httpStatus: 400,
        grpcCode: 9,
        text: "user change not possible",
        id: nil
    )
    /// A check that needs a checked user, without one; ZITADEL has an ID per check.
    public static func userMissing(_ id: String) -> ZitadelError {
        ZitadelError(httpStatus: 400, grpcCode: 9, text: "User ID missing", id: id)
    }
    /// A wrong password; `failedAttempts` counts the user's consecutive wrong passwords, this one included.
    public static func passwordInvalid(failedAttempts: Int) -> ZitadelError {
        ZitadelError(
            httpStatus: 400,
            grpcCode: 3,
            text: "Password is invalid",
            id: "COMMAND-3M0fs",
            failedAttempts: failedAttempts
        )
    }
    /// A user check on an inactive or locked user; ZITADEL's Login compares this text.
    public static let userNotActive = ZitadelError(
        httpStatus: 400,
        grpcCode: 9,
        text: "Errors.User.NotActive",
        id: "SESSION-Gj4ko"
    )
    public static let userLocked = ZitadelError(
        httpStatus: 400,
        grpcCode: 9,
        text: "User is locked",
        id: "COMMAND-JLK35"
    )
    public static let totpInvalid = ZitadelError(httpStatus: 400, grpcCode: 3, text: "Invalid code", id: "EVENT-8isk2")
    public static let otpNotRequested = ZitadelError(
        httpStatus: 400,
        grpcCode: 9,
        text: "Code not found",
        id: "COMMAND-S34gh"
    )
    public static let otpInvalid = ZitadelError(
        httpStatus: 400,
        grpcCode: 3,
        text: "Code is invalid",
        id: "CODE-woT0xc"
    )
    public static let recoveryCodeInvalid = ZitadelError(
        httpStatus: 400,
        grpcCode: 3,
        text: "Invalid recovery code",
        id: "DOMAIN-6uvh0"
    )
    public static let webAuthNNotRequested = ZitadelError(
        httpStatus: 400,
        grpcCode: 9,
        text: "Session without WebAuthN challenge",
        id: "COMMAND-Ioqu5"
    )
    public static let webAuthNInvalid = ZitadelError(
        httpStatus: 400,
        grpcCode: 3,
        text: "Error on validating login credentials",
        id: "WEBAU-3M9si"
    )
    public static let intentInvalid = ZitadelError(
        httpStatus: 400,
        grpcCode: 3,
        text: "Intent has not succeeded",
        id: "COMMAND-Df4bw"
    )

    /// What a fault rule or `X-Mock-Status` forces: the first row of the table with that status.
    public static func forced(status: Int) -> ZitadelError? {
        switch status {
        case 401: return .authHeaderMissing
        case 400: return .invalidSessionId
        case 404: return .sessionNotFound
        case 403: return .wrongSessionToken
        case 500: return .internalError
        default: return nil
        }
    }

    public static func invalidArgument(_ text: String) -> ZitadelError {
        ZitadelError(httpStatus: 400, grpcCode: 3, text: text, id: nil)
    }

    public static let methodNotAllowed = ZitadelError(
        httpStatus: 405,
        grpcCode: 12,
        text: "Method Not Allowed",
        id: nil
    )
    public static let notFound = ZitadelError(httpStatus: 404, grpcCode: 5, text: "Not Found", id: nil)
}

extension ZitadelError {
    /// A refusal as a gRPC status: size limits are resource exhausted, bad encoding invalid
    /// argument; on the REST gateway an unknown path is not found and a wrong method unimplemented,
    /// as ZITADEL's gateway answers them. RPC transports call an unknown method unimplemented.
    package static func refusal(_ refusal: Refusal, rpc: Bool, path: String) -> ZitadelError {
        switch refusal {
        case .notFound:
            return rpc
                ? ZitadelError(httpStatus: 404, grpcCode: 12, text: "unknown procedure \(path)", id: nil) : .notFound
        case .methodNotAllowed:
            return rpc
                ? ZitadelError(httpStatus: 405, grpcCode: 12, text: "\(path) is called with POST", id: nil)
                : .methodNotAllowed
        default:
            return ZitadelError(
                httpStatus: refusal.status,
                grpcCode: refusal.isSizeLimit ? 8 : 3,
                text: refusal.message,
                id: nil
            )
        }
    }
}

/// ZITADEL's REST gateway errors (gRPC-status JSON) for everything answered on its REST
/// routes besides the handler's own rows.
package struct ZitadelRESTErrorShape: MockErrorShape {
    package init() {}

    package var api: MockedAPI { .zitadel }

    package func response(to refusal: Refusal, for request: HTTPRequest) -> HTTPResponse {
        ZitadelError.refusal(refusal, rpc: false, path: request.path).response
    }

    package func badRequest(code: String, _ text: String) -> HTTPResponse {
        ZitadelError.invalidArgument(text).response
    }

    package func forced(status: Int) -> HTTPResponse? {
        ZitadelError.forced(status: status)?.response
    }
}
