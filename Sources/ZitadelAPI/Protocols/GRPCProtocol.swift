import MicroHTTP
import MockPipeline
import Seeds
import SwiftProtobuf

/// Native gRPC over HTTP/2, as gRPC specifies it for HTTP/2. The request is one message frame, read
/// as gRPC-Web's binary frame is (gzip when `grpc-encoding: gzip`). A success is the message frame
/// then trailers with `grpc-status: 0`; an error is trailers-only: `grpc-status`, `grpc-message`
/// (percent-encoded, REST's `message`) and `grpc-status-details-bin` with the same details as
/// Connect's. `application/grpc+json` carries proto3 JSON messages instead, as connect-go serves it.
struct GRPCProtocol: ZitadelRPC.WireProtocol {
    /// `application/grpc+json`.
    var json = false

    var shape: any MockErrorShape { GRPCErrorShape() }

    var encodesJSON: Bool { json }

    func decode(_ request: HTTPRequest) throws(ZitadelError) -> ZitadelRPC.Call {
        // An encoding the server cannot read is refused whether or not this message used it: the
        // client may compress the next one (grpc-accept-encoding names what is read).
        if let encoding = request.header("grpc-encoding")?.trimmingSpaces.lowercased(),
            !["", "identity", "gzip"].contains(encoding)
        {
            throw .unimplemented("unknown compression \"\(encoding)\": supported encodings are gzip, identity")
        }
        var call = try GRPCWebProtocol(framing: .binary).decode(request)
        call.json = json
        return call
    }

    func success(_ message: [UInt8]) -> HTTPResponse {
        var response = GRPCFraming.message(message, headers: ZitadelSessionAPI.successHeaders)
        if json { response.headers[0].value = "application/grpc+json" }
        return response
    }

    func failure(_ error: ZitadelError) -> HTTPResponse { Self.errorResponse(error) }

    static func errorResponse(_ error: ZitadelError) -> HTTPResponse {
        GRPCFraming.status(
            code: error.grpcCode,
            message: error.message,
            detailsBin: ZitadelProtoConverter.statusDetails(error)
        )
    }
}

/// Native gRPC answers for everything answered on the RPC paths besides the RPC's own rows.
struct GRPCErrorShape: MockErrorShape {
    var api: MockedAPI { .zitadel }

    func response(to refusal: Refusal, for request: HTTPRequest) -> HTTPResponse {
        GRPCProtocol.errorResponse(ZitadelError.refusal(refusal, rpc: true, path: request.path))
    }

    func badRequest(code: String, _ text: String) -> HTTPResponse {
        GRPCProtocol.errorResponse(.invalidArgument(text))
    }

    func forced(status: Int) -> HTTPResponse? {
        ZitadelError.forced(status: status).map { GRPCProtocol.errorResponse($0) }
    }
}
