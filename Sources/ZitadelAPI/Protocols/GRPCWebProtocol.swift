import JSON
import MicroHTTP
import MockPipeline
import Seeds
import SwiftProtobuf

/// gRPC-Web over HTTP/1.1 (grpc/grpc PROTOCOL-WEB.md): the body is length-prefixed frames — a flag
/// byte (0x00 data, 0x01 compressed data, 0x80 trailers), a 4-byte big-endian length, the bytes.
/// A unary request is exactly one data frame. Every answer is HTTP 200: a data frame (on success)
/// and a trailer frame with `grpc-status`, `grpc-message` (percent-encoded) and, for errors with a
/// ZITADEL ID, `grpc-status-details-bin` (base64 `google.rpc.Status` holding a
/// `zitadel.v1.ErrorDetail`). `application/grpc-web-text` is the same bytes in base64.
struct GRPCWebProtocol: ZitadelRPC.WireProtocol {
    enum Framing: Sendable, Equatable {
        case binary
        case text

        var contentType: String { self == .binary ? "application/grpc-web+proto" : "application/grpc-web-text+proto" }
    }

    let framing: Framing

    var shape: any MockErrorShape { GRPCWebErrorShape(framing: framing) }

    var encodesJSON: Bool { false }

    func decode(_ request: HTTPRequest) throws(ZitadelError) -> ZitadelRPC.Call {
        var timeoutMicros: Int64?
        if let text = request.header("grpc-timeout") {
            guard let micros = GRPCFraming.parseTimeout(text.trimmingSpaces) else {
                throw .invalidArgument(
                    "grpc-timeout must be 1 to 8 digits and a unit (H, M, S, m, u, n): got \"\(text)\""
                )
            }
            timeoutMicros = micros
        }
        var body = request.body
        if framing == .text {
            guard let decoded = Self.decodeBase64Chunks(body) else {
                throw .invalidArgument("the application/grpc-web-text body is not base64")
            }
            body = decoded
        }
        guard body.count >= 5 else {
            throw .invalidArgument(
                "the request body is not one gRPC-Web frame: \(body.count) bytes, a frame needs at least 5"
            )
        }
        let flags = body[0]
        let length = Int(body[1]) << 24 | Int(body[2]) << 16 | Int(body[3]) << 8 | Int(body[4])
        guard flags & 0x80 == 0, flags & 0x7E == 0 else {
            throw .invalidArgument(
                "the request frame has flags 0x\(String(flags, radix: 16)); a request is one data frame (0x00, or 0x01 compressed)"
            )
        }
        guard length == body.count - 5 else {
            throw .invalidArgument(
                "the request frame says \(length) bytes but \(body.count - 5) follow; a unary request is exactly one frame"
            )
        }
        var payload = Array(body[5...])
        if flags & 0x01 != 0 {
            let encoding = request.header("grpc-encoding")?.trimmingSpaces.lowercased() ?? ""
            guard !encoding.isEmpty, encoding != "identity" else {
                throw .invalidArgument("the request frame is flagged compressed but grpc-encoding names no compression")
            }
            payload = try ZitadelRPC.decompress(payload, encoding: encoding, maxBytes: GRPCFraming.maxMessageBytes)
        }
        return ZitadelRPC.Call(payload: payload, json: false, place: "the request frame", timeoutMicros: timeoutMicros)
    }

    func success(_ message: [UInt8]) -> HTTPResponse {
        let frames =
            GRPCFraming.frame(0x00, message)
            + GRPCFraming.frame(0x80, Self.trailers(code: 0, message: "", details: nil))
        return answer(frames, extraHeaders: ZitadelSessionAPI.successHeaders)
    }

    func failure(_ error: ZitadelError) -> HTTPResponse {
        Self.errorResponse(error, framing: framing)
    }

    static func errorResponse(_ error: ZitadelError, framing: Framing) -> HTTPResponse {
        let details = ZitadelProtoConverter.statusDetails(error)
        let trailers = trailers(code: error.grpcCode, message: error.message, details: details)
        return GRPCWebProtocol(framing: framing).answer(GRPCFraming.frame(0x80, trailers), extraHeaders: [])
    }

    private func answer(_ frames: [UInt8], extraHeaders: [HTTPField]) -> HTTPResponse {
        let body = framing == .binary ? frames : Array(Base64Text.encode(frames).utf8)
        return HTTPResponse(
            status: 200,
            headers: [HTTPField(name: "Content-Type", value: framing.contentType)] + extraHeaders,
            body: body
        )
    }

    /// The trailer block: `name:value` lines, each ended by CRLF.
    static func trailers(code: Int, message: String, details: [UInt8]?) -> [UInt8] {
        var text = "grpc-status:\(code)\r\ngrpc-message:\(GRPCFraming.percentEncode(message))\r\n"
        if let details {
            text += "grpc-status-details-bin:\(Base64Text.encodeUnpadded(details))\r\n"
        }
        return Array(text.utf8)
    }

    /// Base64 that may be several padded pieces one after another (a streaming client encodes
    /// each write on its own); whitespace is ignored.
    static func decodeBase64Chunks(_ body: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        var group: [UInt8] = []
        for byte in body where byte != 0x0D && byte != 0x0A && byte != 0x20 && byte != 0x09 {
            group.append(byte)
            if group.count == 4 {
                guard let decoded = Base64Text.decode(String(decoding: group, as: UTF8.self)) else { return nil }
                out += decoded
                group.removeAll(keepingCapacity: true)
            }
        }
        if !group.isEmpty {
            // A last piece without padding.
            guard let decoded = Base64Text.decode(String(decoding: group, as: UTF8.self)) else { return nil }
            out += decoded
        }
        return out
    }
}

/// gRPC-Web answers for everything answered on the RPC paths besides the RPC's own rows: HTTP
/// 200, the code in the trailers.
struct GRPCWebErrorShape: MockErrorShape {
    let framing: GRPCWebProtocol.Framing

    var api: MockedAPI { .zitadel }

    func response(to refusal: Refusal, for request: HTTPRequest) -> HTTPResponse {
        GRPCWebProtocol.errorResponse(ZitadelError.refusal(refusal, rpc: true, path: request.path), framing: framing)
    }

    func badRequest(code: String, _ text: String) -> HTTPResponse {
        GRPCWebProtocol.errorResponse(.invalidArgument(text), framing: framing)
    }

    func forced(status: Int) -> HTTPResponse? {
        ZitadelError.forced(status: status).map { GRPCWebProtocol.errorResponse($0, framing: framing) }
    }
}
