import JSON
import MicroHTTP
import SwiftProtobuf
import MockPipeline
import Platform
import Store

/// `POST /zitadel.session.v2.SessionService/GetSession`: the same store and the same checks as
/// `GET /v2/sessions/{id}` (`ZitadelSessionAPI.evaluate`), spoken as Connect (JSON or binary
/// protobuf) or gRPC-Web (binary or base64 text). Native gRPC needs HTTP/2, which libmicrohttpd
/// does not speak, so `application/grpc` gets a 415 that says so.
public enum ZitadelRPC {
    /// Every RPC path starts with this; unknown procedures under it are answered as RPCs.
    public static let servicePrefix = "/zitadel.session.v2.SessionService/"
    public static let getSessionPath = servicePrefix + "GetSession"

    /// What the 415 lists: the request content types this path answers.
    static let supportedContentTypes = [
        "application/json", "application/proto", "application/grpc-web+proto", "application/grpc-web-text",
    ]

    /// The wire a request asked for, from its `Content-Type`.
    enum Wire: Sendable, Equatable {
        case connect(ConnectProtocol.Codec)
        case grpcWeb(GRPCWebProtocol.Framing)
        case nativeGRPC
        case unsupported(String?)

        init(contentType: String?) {
            guard let contentType else { self = .unsupported(nil); return }
            let base = ZitadelRPC.mediaType(contentType)
            switch base {
            case "application/json": self = .connect(.json)
            case "application/proto": self = .connect(.proto)
            case "application/grpc-web", "application/grpc-web+proto": self = .grpcWeb(.binary)
            case "application/grpc-web-text", "application/grpc-web-text+proto": self = .grpcWeb(.text)
            default:
                self = base == "application/grpc" || base.hasPrefix("application/grpc+") ? .nativeGRPC : .unsupported(contentType)
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
        func message<Message: SwiftProtobuf.Message>(_ type: Message.Type) -> Checked<Message> {
            do {
                if json {
                    var options = JSONDecodingOptions()
                    options.ignoreUnknownFields = true
                    return .success(payload.isEmpty ? Message() : try Message(jsonUTF8Bytes: payload, options: options))
                }
                return .success(try Message(serializedBytes: payload))
            } catch {
                return .failure(.invalidArgument("could not parse \(place) as \(json ? "JSON" : "binary protobuf") \(Message.protoMessageName): \(error)"))
            }
        }
    }

    /// A value, or the ZITADEL error to answer instead (`ZitadelError` is not an `Error`).
    enum Checked<Value: Sendable>: Sendable {
        case success(Value)
        case failure(ZitadelError)

        func map<Other: Sendable>(_ transform: (Value) -> Other) -> Checked<Other> {
            switch self {
            case .success(let value): .success(transform(value))
            case .failure(let error): .failure(error)
            }
        }
    }

    typealias Decoded = Checked<Call>
    typealias Bytes = Checked<[UInt8]>

    /// How one wire reads a call and writes answers; `ConnectProtocol` and `GRPCWebProtocol`.
    protocol WireProtocol: Sendable {
        /// Headers and body of the request, or the error to answer (invalid_argument, unimplemented).
        func decode(_ request: HTTPRequest) -> Decoded
        /// The response in both encodings (each cached with the record); the wire takes its own.
        func success(proto: [UInt8], json: [UInt8]) -> HTTPResponse
        func failure(_ error: ZitadelError) -> HTTPResponse
        /// The pipeline's own refusals and forced statuses in this wire's shape.
        var shape: any MockErrorShape { get }
    }

    /// Answers one request on `getSessionPath`, through the same pipeline as the REST endpoint
    /// (`X-Mock-Scenario`, `X-Mock-Status`, `X-Mock-Delay-Ms`, seed fault rules), with the bodies
    /// cached on the stored record.
    package static func getSession(_ request: HTTPRequest, pipeline: MockRequestPipeline) -> (HTTPResponse, scenario: String?) {
        unary(request, pipeline: pipeline, Zitadel_Session_V2_GetSessionRequest.self, sessionId: \.sessionID) { message, request, state, wire in
            let query = ZitadelSessionAPI.Query(
                sessionId: message.sessionID,
                sessionToken: message.hasSessionToken ? message.sessionToken : nil,
                authorization: request.header("Authorization"))
            switch ZitadelSessionAPI.evaluate(query, state: state) {
            case .session(let record): return wire.success(proto: record.protoResponseBody, json: record.responseBody)
            case .error(let error): return wire.failure(error)
            }
        }
    }

    /// The four lifecycle RPCs: their paths, each with the one implementation REST uses too.
    package static let lifecycle: [(path: String, handler: @Sendable (HTTPRequest, MockRequestPipeline) -> (HTTPResponse, scenario: String?))] = [
        (servicePrefix + "CreateSession", { request, pipeline in
            unary(request, pipeline: pipeline, Zitadel_Session_V2_CreateSessionRequest.self, sessionId: nil) { message, request, state, wire in
                encoded(ZitadelSessionLifecycle.create(message, authorization: request.header("Authorization"), state: state), wire)
            }
        }),
        (servicePrefix + "SetSession", { request, pipeline in
            unary(request, pipeline: pipeline, Zitadel_Session_V2_SetSessionRequest.self, sessionId: \.sessionID) { message, request, state, wire in
                encoded(ZitadelSessionLifecycle.set(message, authorization: request.header("Authorization"), state: state), wire)
            }
        }),
        (servicePrefix + "DeleteSession", { request, pipeline in
            unary(request, pipeline: pipeline, Zitadel_Session_V2_DeleteSessionRequest.self, sessionId: \.sessionID) { message, request, state, wire in
                encoded(ZitadelSessionLifecycle.delete(message, authorization: request.header("Authorization"), state: state), wire)
            }
        }),
        (servicePrefix + "ListSessions", { request, pipeline in
            unary(request, pipeline: pipeline, Zitadel_Session_V2_ListSessionsRequest.self, sessionId: nil) { message, request, state, wire in
                switch ZitadelSessionLifecycle.list(message, authorization: request.header("Authorization"), state: state) {
                case .failure(let error): return wire.failure(error)
                case .success(let result):
                    let response = Zitadel_Session_V2_ListSessionsResponse.with {
                        $0.details = result.details
                        $0.sessions = result.records.map { ZitadelProtoConverter.getSessionResponse($0.session).session }
                    }
                    return wire.success(proto: (try? response.serializedBytes()) ?? [],
                                        json: ZitadelLifecycleREST.listBody(result.details, result.records))
                }
            }
        }),
    ]

    static func encoded<Message: SwiftProtobuf.Message>(_ checked: Checked<Message>, _ wire: any WireProtocol) -> HTTPResponse {
        switch checked {
        case .failure(let error): return wire.failure(error)
        case .success(let message):
            return wire.success(proto: (try? message.serializedBytes()) ?? [], json: (try? message.jsonUTF8Bytes()) ?? [])
        }
    }

    /// One unary call on any wire: decode, the pipeline, `handle`, and the client's deadline.
    static func unary<Message: SwiftProtobuf.Message>(
        _ request: HTTPRequest, pipeline: MockRequestPipeline, _ type: Message.Type, sessionId: KeyPath<Message, String>?,
        handle: (Message, HTTPRequest, ScenarioState, any WireProtocol) -> HTTPResponse
    ) -> (HTTPResponse, scenario: String?) {
        let wire: any WireProtocol
        switch Wire(contentType: request.header("Content-Type")) {
        case .connect(let codec): wire = ConnectProtocol(codec: codec)
        case .grpcWeb(let framing): wire = GRPCWebProtocol(framing: framing)
        case .nativeGRPC: return (unsupportedMediaType(nativeGRPC: true, contentType: request.header("Content-Type")), nil)
        case .unsupported(let contentType): return (unsupportedMediaType(nativeGRPC: false, contentType: contentType), nil)
        }

        let decoded: Checked<(call: Call, message: Message)>
        switch wire.decode(request) {
        case .failure(let error): decoded = .failure(error)
        case .success(let call):
            switch call.message(type) {
            case .failure(let error): decoded = .failure(error)
            case .success(let message): decoded = .success((call, message))
            }
        }
        var request = request
        if case .success(let found) = decoded, let sessionId {
            // So that `{"match":{"sessionId":…}}` fault rules apply as on the REST path.
            request.pathParameters["sessionId"] = found.message[keyPath: sessionId]
        }
        if case .success(let found) = decoded, let carrier = found.message as? any UserChecking, let name = carrier.checkedLoginName {
            request.pathParameters[MockRequestPipeline.loginNameParameter] = name
        }
        var (response, scenario) = pipeline.run(request, shape: wire.shape) { request, state in
            switch decoded {
            case .failure(let error): return wire.failure(error)
            case .success(let found): return handle(found.message, request, state, wire)
            }
        }
        // The client gives up at its deadline: an answer (or drop) due later becomes
        // deadline_exceeded, sent when the deadline passes.
        if case .success(let found) = decoded, let timeout = found.call.timeoutMicros,
           Int64(response.delayMilliseconds) * 1000 > timeout {
            let milliseconds = Int((timeout + 999) / 1000)
            response = wire.failure(.deadlineExceeded(afterMilliseconds: milliseconds))
            response.delayMilliseconds = milliseconds
        }
        return (response, scenario)
    }

    /// The error shape of the RPC paths: the transport the request's `Content-Type` asks for,
    /// Connect's when it names none of them (Connect is what ZITADEL's SDKs speak).
    package struct ErrorShapeByContentType: ErrorShape {
        package init() {}

        package func response(to refusal: Refusal, for request: HTTPRequest) -> HTTPResponse {
            switch Wire(contentType: request.header("Content-Type")) {
            case .grpcWeb(let framing): return GRPCWebErrorShape(framing: framing).response(to: refusal, for: request)
            default: return ConnectErrorShape().response(to: refusal, for: request)
            }
        }
    }

    /// 415 for a content type this path does not answer; native gRPC is told why.
    static func unsupportedMediaType(nativeGRPC: Bool, contentType: String?) -> HTTPResponse {
        let alternatives = "use Connect (Content-Type application/json or application/proto) or gRPC-Web "
            + "(application/grpc-web+proto or application/grpc-web-text) on this path, or REST GET /v2/sessions/{sessionId}"
        let message: String
        if nativeGRPC {
            message = "native gRPC (application/grpc) needs HTTP/2, which session-mock (libmicrohttpd, HTTP/1.1) "
                + "does not speak; " + alternatives
        } else if let contentType {
            message = "unsupported Content-Type \"\(contentType)\"; " + alternatives
        } else {
            message = "Content-Type is required; " + alternatives
        }
        let body = JSONValue.object([
            ("code", .string("unimplemented")),
            ("message", .string(message)),
            ("protocols", .array([.string("connect"), .string("grpc-web")])),
            ("contentTypes", .array(supportedContentTypes.map { .string($0) })),
        ])
        return .json(415, body.serialized, headers: [
            HTTPField(name: "Accept-Post", value: supportedContentTypes.joined(separator: ", ")),
        ])
    }

    /// `type/subtype` of a Content-Type, lowercased, parameters (`; charset=utf-8`) dropped.
    static func mediaType(_ contentType: String) -> String {
        let base = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return String(base).trimmingSpaces.lowercased()
    }

    /// A request body after its `Content-Encoding` / `grpc-encoding`: identity or gzip.
    static func decompress(_ body: [UInt8], encoding: String?, maxBytes: Int) -> ZitadelRPC.Bytes {
        let name = encoding?.trimmingSpaces.lowercased() ?? ""
        switch name {
        case "", "identity":
            return .success(body)
        case "gzip":
            switch Gzip.decompress(body, maxBytes: maxBytes) {
            case .success(let bytes): return .success(bytes)
            case .failure(let error): return .failure(.invalidArgument("could not decompress the gzip request body: \(error.reason)"))
            }
        default:
            return .failure(.unimplemented("unknown compression \"\(name)\": supported encodings are gzip, identity"))
        }
    }

    static let maxMessageBytes = 4 * 1024 * 1024
}

extension ZitadelError {
    /// gRPC code 12 (Connect `unimplemented`, HTTP 501).
    static func unimplemented(_ text: String) -> ZitadelError {
        ZitadelError(httpStatus: 501, grpcCode: 12, text: text, id: nil)
    }

    /// gRPC code 4 (Connect `deadline_exceeded`, HTTP 504): the client's deadline passed first.
    static func deadlineExceeded(afterMilliseconds milliseconds: Int) -> ZitadelError {
        ZitadelError(httpStatus: 504, grpcCode: 4, text: "deadline exceeded: the answer was due after the client's timeout of \(milliseconds) ms", id: nil)
    }
}
