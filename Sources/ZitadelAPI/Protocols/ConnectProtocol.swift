import JSON
import MicroHTTP
import MockPipeline
import Seeds
import SwiftProtobuf

/// Connect unary over HTTP/1.1 (connectrpc.com/docs/protocol): the request message is the whole
/// body, `application/json` (proto3 JSON) or `application/proto` (binary); a success answers 200 with
/// the message in the same codec; an error answers the HTTP status of its code with a JSON body
/// `{"code","message","details"}`, whatever the codec.
struct ConnectProtocol: ZitadelRPC.WireProtocol {
    enum Codec: Sendable, Equatable {
        case json
        case proto

        var contentType: String { self == .json ? "application/json" : "application/proto" }
    }

    let codec: Codec

    var shape: any MockErrorShape { ConnectErrorShape() }

    var encodesJSON: Bool { codec == .json }

    func decode(_ request: HTTPRequest) throws(ZitadelError) -> ZitadelRPC.Call {
        if let version = request.header("Connect-Protocol-Version"), version.trimmingSpaces != "1" {
            throw .invalidArgument("Connect-Protocol-Version must be \"1\": got \"\(version)\"")
        }
        var timeoutMicros: Int64?
        if let text = request.header("Connect-Timeout-Ms") {
            let digits = text.trimmingSpaces
            guard (1...10).contains(digits.utf8.count), digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                let milliseconds = Int64(digits)
            else {
                throw .invalidArgument("Connect-Timeout-Ms must be 1 to 10 digits of milliseconds: got \"\(text)\"")
            }
            timeoutMicros = milliseconds * 1000
        }
        let body = try ZitadelRPC.decompress(
            request.body,
            encoding: request.header("Content-Encoding"),
            maxBytes: GRPCFraming.maxMessageBytes
        )
        return ZitadelRPC.Call(
            payload: body,
            json: codec == .json,
            place: "the request body",
            timeoutMicros: timeoutMicros
        )
    }

    func success(_ message: [UInt8]) -> HTTPResponse {
        HTTPResponse(
            status: 200,
            headers: [HTTPField(name: "Content-Type", value: codec.contentType)] + ZitadelSessionAPI.successHeaders,
            body: message
        )
    }

    func failure(_ error: ZitadelError) -> HTTPResponse {
        Self.errorResponse(error)
    }

    /// The Connect error of a ZITADEL error: same message and ID as the REST body, the detail
    /// (`zitadel.v1.ErrorDetail` or `CredentialsCheckError`) in base64 without padding, and
    /// readable under `debug` as proto3 JSON.
    /// `httpStatus` replaces the code's own for refusals, whose HTTP status says more (404, 413, …).
    static func errorResponse(_ error: ZitadelError, httpStatus status: Int? = nil) -> HTTPResponse {
        var w = JSONWriter(capacity: 256)
        w.raw("{\"code\":")
        w.string(codeName(error.grpcCode))
        w.raw(UInt8(ascii: ","))
        w.key("message")
        w.string(error.message)
        if let id = error.id, let bytes = ZitadelProtoConverter.errorDetail(error) {
            w.raw(",\"details\":[{\"type\":")
            w.string(error.detailTypeName)
            w.raw(",\"value\":")
            w.string(Base64Text.encodeUnpadded(bytes))
            w.raw(",\"debug\":{")
            error.writeDetailMembers(&w, id: id)
            w.raw("}}]")
        }
        w.raw(UInt8(ascii: "}"))
        var headers: [HTTPField] = []
        if error.grpcCode == 12 {
            headers.append(HTTPField(name: "Accept-Encoding", value: "gzip, identity"))
        }
        return .json(status ?? httpStatus(error.grpcCode), w.bytes, headers: headers)
    }

    /// Connect's name of a gRPC code.
    static func codeName(_ code: Int) -> String {
        switch code {
        case 1: return "canceled"
        case 2: return "unknown"
        case 3: return "invalid_argument"
        case 4: return "deadline_exceeded"
        case 5: return "not_found"
        case 6: return "already_exists"
        case 7: return "permission_denied"
        case 8: return "resource_exhausted"
        case 9: return "failed_precondition"
        case 10: return "aborted"
        case 11: return "out_of_range"
        case 12: return "unimplemented"
        case 13: return "internal"
        case 14: return "unavailable"
        case 15: return "data_loss"
        case 16: return "unauthenticated"
        default: return "unknown"
        }
    }

    /// The HTTP status Connect gives a code.
    static func httpStatus(_ code: Int) -> Int {
        switch code {
        case 1: return 499
        case 3, 9, 11: return 400
        case 4: return 504
        case 5: return 404
        case 6, 10: return 409
        case 7: return 403
        case 8: return 429
        case 12: return 501
        case 14: return 503
        case 16: return 401
        default: return 500
        }
    }
}

/// Connect's error JSON for everything answered on the RPC paths besides the RPC's own rows.
struct ConnectErrorShape: MockErrorShape {
    var api: MockedAPI { .zitadel }

    func response(to refusal: Refusal, for request: HTTPRequest) -> HTTPResponse {
        var response = ConnectProtocol.errorResponse(
            ZitadelError.refusal(refusal, rpc: true, path: request.path),
            httpStatus: refusal.status
        )
        // Accept-Encoding belongs to unimplemented answers of a known procedure, not to refusals.
        response.headers.removeAll { $0.name == "Accept-Encoding" }
        return response
    }

    func badRequest(code: String, _ text: String) -> HTTPResponse {
        ConnectProtocol.errorResponse(.invalidArgument(text))
    }

    func forced(status: Int) -> HTTPResponse? {
        ZitadelError.forced(status: status).map { ConnectProtocol.errorResponse($0) }
    }
}
