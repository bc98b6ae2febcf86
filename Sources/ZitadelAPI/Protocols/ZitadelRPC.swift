import JSON
import MicroHTTP
import MockPipeline
import Platform
import Store
import SwiftProtobuf

/// The RPC paths, `POST /<service>/<Method>`: a declared RPC spoken as Connect (JSON or binary
/// protobuf), gRPC-Web (binary or base64 text) or, over HTTP/2, native gRPC, told apart by
/// `Content-Type`. Native gRPC needs HTTP/2's trailers, so over HTTP/1.1 `application/grpc` gets
/// a 415 that says so.
enum ZitadelRPC {
    /// What the 415 lists: the request content types the RPC paths answer.
    static let supportedContentTypes = [
        "application/json", "application/proto", "application/grpc-web+proto", "application/grpc-web-text",
    ]

    /// The wire a request asked for, from its `Content-Type`.
    enum Wire: Sendable, Equatable {
        case connect(ConnectProtocol.Codec)
        case grpcWeb(GRPCWebProtocol.Framing)
        case nativeGRPC(json: Bool)
        case unsupported(String?)

        init(contentType: String?) {
            guard let contentType else {
                self = .unsupported(nil)
                return
            }
            // The exact spellings clients send, before anything is split or lowercased.
            switch contentType {
            case "application/grpc", "application/grpc+proto":
                self = .nativeGRPC(json: false)
                return
            case "application/proto":
                self = .connect(.proto)
                return
            case "application/json":
                self = .connect(.json)
                return
            default: break
            }
            let base = ZitadelRPC.mediaType(contentType)
            switch base {
            case "application/json": self = .connect(.json)
            case "application/proto": self = .connect(.proto)
            case "application/grpc-web", "application/grpc-web+proto": self = .grpcWeb(.binary)
            case "application/grpc-web-text", "application/grpc-web-text+proto": self = .grpcWeb(.text)
            default:
                switch base {
                case "application/grpc", "application/grpc+proto": self = .nativeGRPC(json: false)
                case "application/grpc+json": self = .nativeGRPC(json: true)
                default: self = .unsupported(contentType)
                }
            }
        }
    }

    /// A call off the wire: the request message's bytes (proto3 JSON or binary protobuf, after
    /// framing and compression) and the deadline the client gave, if any.
    struct Call: Sendable {
        var payload: [UInt8]
        var json: Bool
        /// Where the message was, for the error when it does not parse.
        var place: String
        var timeoutMicros: Int64?

        /// The payload as `Message`. Unknown JSON fields are ignored and an empty JSON body is the
        /// empty message, as in every Connect implementation.
        func message<Message: SwiftProtobuf.Message>(_ type: Message.Type) throws(ZitadelError) -> Message {
            do {
                if json {
                    var options = JSONDecodingOptions()
                    options.ignoreUnknownFields = true
                    return payload.isEmpty ? Message() : try Message(jsonUTF8Bytes: payload, options: options)
                }
                return try Message(serializedBytes: payload)
            } catch {
                let encoding = json ? "JSON" : "binary protobuf"
                throw .invalidArgument("could not parse \(place) as \(encoding) \(Message.protoMessageName): \(error)")
            }
        }
    }

    /// How one wire reads a call and writes answers; `ConnectProtocol` and `GRPCWebProtocol`.
    protocol WireProtocol: Sendable {
        /// Headers and body of the request, or the error to answer (invalid_argument, unimplemented).
        func decode(_ request: HTTPRequest) throws(ZitadelError) -> Call
        /// Whether a success carries the message as proto3 JSON (else binary protobuf).
        var encodesJSON: Bool { get }
        func success(_ message: [UInt8]) -> HTTPResponse
        func failure(_ error: ZitadelError) -> HTTPResponse
        /// The pipeline's own refusals and forced statuses in this wire's shape.
        var shape: any MockErrorShape { get }
    }

    /// Serves one declared RPC on its RPC path: decode, the same pipeline as REST (`X-Mock-*`
    /// headers, seed fault rules), the handler, and the client's deadline.
    static func serve<Request: SwiftProtobuf.Message, Reply: ZitadelReply>(
        _ request: HTTPRequest,
        pipeline: MockRequestPipeline,
        rpc: String,
        fields: ZitadelRequestFields<Request>,
        handle: (Request, ZitadelCall) throws(ZitadelError) -> Reply
    ) -> (HTTPResponse, scenario: String?) {
        let wire: any WireProtocol
        switch Wire(contentType: request.header("Content-Type")) {
        case .connect(let codec): wire = ConnectProtocol(codec: codec)
        case .grpcWeb(let framing): wire = GRPCWebProtocol(framing: framing)
        case .nativeGRPC(let json):
            guard request.httpVersion == .http2 else {
                return (unsupportedMediaType(nativeGRPC: true, contentType: request.header("Content-Type")), nil)
            }
            wire = GRPCProtocol(json: json)
        case .unsupported(let contentType):
            return (unsupportedMediaType(nativeGRPC: false, contentType: contentType), nil)
        }

        let decoded: Result<(call: Call, message: Request), ZitadelError>
        do throws(ZitadelError) {
            let call = try wire.decode(request)
            decoded = .success((call, try call.message(Request.self)))
        } catch {
            decoded = .failure(error)
        }
        let deadline = (try? decoded.get())?.call.timeoutMicros.map { micros in
            MockRequestPipeline.Deadline(micros: micros) { wire.failure(.deadlineExceeded(afterMilliseconds: $0)) }
        }
        var (response, scenario) = pipeline.run(
            request,
            shape: wire.shape,
            subject: {
                guard case .success(let found) = decoded else { return fields.faultSubject(rpc: rpc, message: nil) }
                return fields.faultSubject(rpc: rpc, message: found.message)
            },
            deadline: deadline,
            endpoint: { request, state in
                do throws(ZitadelError) {
                    let message = try decoded.get().message
                    let reply = try handle(message, ZitadelCall(request, state: state))
                    do {
                        return wire.success(try wire.encodesJSON ? reply.json() : reply.proto())
                    } catch {
                        return wire.failure(.internalError)
                    }
                } catch {
                    return wire.failure(error)
                }
            }
        )
        // The client gives up at its deadline: a fault's answer (or drop) due later becomes
        // deadline_exceeded too, sent when the deadline passes.
        if case .success(let found) = decoded, let timeout = found.call.timeoutMicros,
            Int64(response.delayMilliseconds) * 1000 > timeout
        {
            let milliseconds = Int((timeout + 999) / 1000)
            response = wire.failure(.deadlineExceeded(afterMilliseconds: milliseconds))
            response.delayMilliseconds = milliseconds
        }
        return (response, scenario)
    }

    /// The error shape of the RPC paths: the transport the request's `Content-Type` asks for,
    /// Connect's when it names none of them (Connect is what ZITADEL's SDKs speak).
    struct ErrorShapeByContentType: ErrorShape {
        func response(to refusal: Refusal, for request: HTTPRequest) -> HTTPResponse {
            switch Wire(contentType: request.header("Content-Type")) {
            case .grpcWeb(let framing): return GRPCWebErrorShape(framing: framing).response(to: refusal, for: request)
            case .nativeGRPC where request.httpVersion == .http2:
                return GRPCErrorShape().response(to: refusal, for: request)
            default: return ConnectErrorShape().response(to: refusal, for: request)
            }
        }
    }

    /// 415 for a content type the RPC paths do not answer; native gRPC is told why.
    static func unsupportedMediaType(nativeGRPC: Bool, contentType: String?) -> HTTPResponse {
        let alternatives =
            "use Connect (Content-Type application/json or application/proto) or gRPC-Web "
            + "(application/grpc-web+proto or application/grpc-web-text) on this path, or REST GET /v2/sessions/{sessionId}"
        let message: String
        if nativeGRPC {
            message =
                "native gRPC (application/grpc) needs HTTP/2 and this request came over HTTP/1.1: open the "
                + "connection with the HTTP/2 preface (what gRPC clients do for http:// targets); or " + alternatives
        } else if let contentType {
            message = "unsupported Content-Type \"\(contentType)\"; " + alternatives
        } else {
            message = "Content-Type is required; " + alternatives
        }
        let body = JSONValue.object([
            ("code", .string("unimplemented")),
            ("message", .string(message)),
            ("protocols", .array([.string("connect"), .string("grpc-web"), .string("grpc")])),
            ("contentTypes", .array(supportedContentTypes.map { .string($0) })),
        ])
        return .json(
            415,
            body.serialized,
            headers: [
                HTTPField(name: "Accept-Post", value: supportedContentTypes.joined(separator: ", "))
            ]
        )
    }

    /// `type/subtype` of a Content-Type, lowercased, parameters (`; charset=utf-8`) dropped.
    static func mediaType(_ contentType: String) -> String {
        let base = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return String(base).trimmingSpaces.lowercased()
    }

    /// A request body after its `Content-Encoding` / `grpc-encoding`: identity or gzip.
    static func decompress(_ body: [UInt8], encoding: String?, maxBytes: Int) throws(ZitadelError) -> [UInt8] {
        let name = encoding?.trimmingSpaces.lowercased() ?? ""
        switch name {
        case "", "identity":
            return body
        case "gzip":
            switch Gzip.decompress(body, maxBytes: maxBytes) {
            case .success(let bytes): return bytes
            case .failure(let error):
                throw .invalidArgument("could not decompress the gzip request body: \(error.reason)")
            }
        default:
            throw .unimplemented("unknown compression \"\(name)\": supported encodings are gzip, identity")
        }
    }
}

extension ZitadelError {
    /// gRPC code 12 (Connect `unimplemented`, HTTP 501).
    static func unimplemented(_ text: String) -> ZitadelError {
        ZitadelError(httpStatus: 501, grpcCode: 12, text: text, id: nil)
    }

    /// gRPC code 4 (Connect `deadline_exceeded`, HTTP 504): the client's deadline passed first.
    static func deadlineExceeded(afterMilliseconds milliseconds: Int) -> ZitadelError {
        let text = "deadline exceeded: the answer was due after the client's timeout of \(milliseconds) ms"
        return ZitadelError(httpStatus: 504, grpcCode: 4, text: text, id: nil)
    }
}
