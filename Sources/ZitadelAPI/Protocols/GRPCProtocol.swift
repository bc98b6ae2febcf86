import MicroHTTP
import MockPipeline
import Seeds
import SwiftProtobuf

/// Native gRPC over HTTP/2 (grpc/grpc PROTOCOL-HTTP2.md). The request is one message frame, read
/// as gRPC-Web's binary frame is (gzip when `grpc-encoding: gzip`). A success is the message frame
/// then trailers with `grpc-status: 0`; an error is trailers-only: `grpc-status`, `grpc-message`
/// (percent-encoded, REST's `message`) and `grpc-status-details-bin` with the same details as
/// Connect's.
struct GRPCProtocol: ZitadelRPC.WireProtocol {
    var shape: any MockErrorShape { GRPCErrorShape() }

    var encodesJSON: Bool { false }

    func decode(_ request: HTTPRequest) throws(ZitadelError) -> ZitadelRPC.Call {
        try GRPCWebProtocol(framing: .binary).decode(request)
    }

    func success(_ message: [UInt8]) -> HTTPResponse {
        GRPCFraming.message(message, headers: ZitadelSessionAPI.successHeaders)
    }

    func failure(_ error: ZitadelError) -> HTTPResponse { Self.errorResponse(error) }

    static func errorResponse(_ error: ZitadelError) -> HTTPResponse {
        var details: [UInt8]?
        if let any = ZitadelProtoConverter.errorDetailAny(error) {
            var status = Google_Rpc_Status()
            status.code = Int32(error.grpcCode)
            status.message = error.message
            status.details = [any]
            details = try? status.serializedBytes()
        }
        return GRPCFraming.status(code: error.grpcCode, message: error.message, detailsBin: details)
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
