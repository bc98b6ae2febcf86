import MicroHTTP
import MockPipeline
import Seeds
import Store
import SwiftProtobuf

/// One ZITADEL RPC, declared once: its service and method, request and response messages, REST
/// mapping (the proto's `google.api.http`), the permission it needs, what fault rules may match
/// on it, and its handler. The REST route, the RPC path (Connect, gRPC-Web), fault matching,
/// seed validation of `match.rpc`, `session-mock routes` and the checks of the OpenAPI document
/// and the fuzz dictionary are all made from this.
package struct ZitadelEndpoint: Sendable {
    /// Fully qualified, e.g. `zitadel.session.v2.SessionService`.
    package let service: String
    /// e.g. `GetSession`: what a seed's `match.rpc` names.
    package let method: String
    package let requestMessage: String
    package let responseMessage: String
    package let rest: RESTMapping
    /// The permission ZITADEL checks on the caller (informational where the rows say more).
    package let permission: String?
    /// The fault-rule keys this RPC fills besides `rpc` (`sessionId`, `loginName`).
    package let faultKeys: [String]
    let serveREST: MockRoute.Serve
    let serveRPC: MockRoute.Serve

    /// `POST /<service>/<method>`, where Connect and gRPC-Web call it.
    package var rpcPath: String { "/\(service)/\(method)" }

    /// The vendor spec's operation id (grpc-gateway names it `Service_Method`).
    package var vendorOperationId: String {
        "\(service.split(separator: ".").last ?? "")_\(method)"
    }

    /// How grpc-gateway maps the RPC onto REST.
    package struct RESTMapping: Sendable {
        package var method: String
        /// OpenAPI's form: `/v2/sessions/{sessionId}`.
        package var path: String
        /// `*`: the body is the request message (less the path's fields); nil: no body.
        package var body: String?
        /// The status of a success (ZITADEL answers 201 where it creates).
        package var successStatus: Int

        /// The router's form: `/v2/sessions/:sessionId`.
        var routerPattern: String {
            path.split(separator: "/", omittingEmptySubsequences: false)
                .map { $0.hasPrefix("{") && $0.hasSuffix("}") ? ":" + $0.dropFirst().dropLast() : String($0) }
                .joined(separator: "/")
        }
    }

    /// Declares an RPC. `fields` says where REST finds the message's path and query fields and
    /// what fault rules read from the message; `handle` is the one implementation every
    /// transport runs.
    package init<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message, Reply: ZitadelReply>(
        service: String,
        method: String,
        request: Request.Type,
        response: Response.Type,
        rest: RESTMapping,
        permission: String?,
        fields: ZitadelRequestFields<Request>,
        handle: @escaping @Sendable (Request, ZitadelCall) throws(ZitadelError) -> Reply
    ) {
        self.service = service
        self.method = method
        requestMessage = Request.protoMessageName
        responseMessage = Response.protoMessageName
        self.rest = rest
        self.permission = permission
        faultKeys = fields.faultKeys
        let restShape = ZitadelRESTErrorShape()
        serveREST = { request, pipeline in
            ZitadelREST.serve(
                request,
                pipeline: pipeline,
                shape: restShape,
                rpc: method,
                rest: rest,
                fields: fields,
                handle: handle
            )
        }
        serveRPC = { request, pipeline in
            ZitadelRPC.serve(request, pipeline: pipeline, rpc: method, fields: fields, handle: handle)
        }
    }

    /// The endpoint as the app's route table takes it: its REST route and its RPC path.
    package var mockEndpoint: MockEndpoint {
        MockEndpoint(
            api: .zitadel,
            name: "\(service)/\(method)",
            vendorOperationId: vendorOperationId,
            faultKeys: ["rpc"] + faultKeys,
            permission: permission,
            routes: [
                MockRoute(
                    method: rest.method,
                    pattern: rest.routerPattern,
                    transport: .rest,
                    errors: ZitadelRESTErrorShape(),
                    serve: serveREST
                ),
                MockRoute(
                    method: "POST",
                    pattern: rpcPath,
                    transport: .rpc,
                    errors: ZitadelRPC.ErrorShapeByContentType(),
                    serve: serveRPC
                ),
            ]
        )
    }
}

/// Where a request message's fields come from besides the body, and what fault rules read
/// from it. Setters are closures, not key paths: a stored key path is applied through the
/// runtime on every request.
package struct ZitadelRequestFields<Request: SwiftProtobuf.Message>: Sendable {
    /// A field bound from a path parameter or query parameter of the REST mapping.
    package struct Binding: Sendable {
        /// The path parameter's name, or the query parameter's spellings (camelCase, snake_case).
        var names: [String]
        var set: @Sendable (inout Request, String) -> Void
    }

    var path: [Binding] = []
    var query: [Binding] = []
    var faultKeys: [String] = []
    /// What the message names for fault rules' `match.sessionId` and `match.loginName`.
    var sessionIdOf: (@Sendable (Request) -> String)?
    var loginNameOf: (@Sendable (Request) -> String?)?

    /// What fault rules match on a call of `rpc`: the RPC, and what its message names (nothing
    /// more when the message did not decode). Made in one piece: a subject built up in steps is
    /// copied and destroyed at each.
    func faultSubject(rpc: String, message: Request?) -> FaultSubject {
        guard let message else { return FaultSubject(rpc: rpc) }
        return FaultSubject(rpc: rpc, sessionId: sessionIdOf?(message), loginName: loginNameOf?(message))
    }

    package init() {}

    /// The session the request names: the path's `{sessionId}` on REST, and `match.sessionId`.
    package static func sessionId(
        get: @escaping @Sendable (Request) -> String,
        set: @escaping @Sendable (inout Request, String) -> Void
    ) -> Self {
        var fields = Self()
        fields.path = [Binding(names: ["sessionId"], set: set)]
        fields.faultKeys = ["sessionId"]
        fields.sessionIdOf = get
        return fields
    }

    /// A path parameter of the REST mapping (`{userId}`), set on the message.
    package func path(_ name: String, set: @escaping @Sendable (inout Request, String) -> Void) -> Self {
        var fields = self
        fields.path.append(Binding(names: [name], set: set))
        return fields
    }

    /// A query parameter (GET mappings), by its JSON and proto names.
    package func query(_ names: [String], set: @escaping @Sendable (inout Request, String) -> Void) -> Self {
        var fields = self
        fields.query.append(Binding(names: names, set: set))
        return fields
    }

    /// The login name of the request's user check (`match.loginName`).
    package func loginName(_ name: @escaping @Sendable (Request) -> String?) -> Self {
        var fields = self
        fields.loginNameOf = name
        fields.faultKeys.append("loginName")
        return fields
    }
}

/// What a handler runs with: the request's credentials and the scenario copy it was routed to.
package struct ZitadelCall {
    /// The `Authorization` header.
    package let authorization: String?
    package let state: ScenarioState

    init(_ request: HTTPRequest, state: ScenarioState) {
        authorization = request.header("Authorization")
        self.state = state
    }
}

/// What a handler answers, encoded by the transport that carries it. A thrown encoding error
/// answers the internal-error row, never a 200.
package protocol ZitadelReply: Sendable {
    func json() throws -> [UInt8]
    func proto() throws -> [UInt8]
    /// The REST answer with the mapping's success status.
    func restResponse(status: Int) throws -> HTTPResponse
}

extension ZitadelReply {
    package func restResponse(status: Int) throws -> HTTPResponse {
        HTTPResponse(status: status, headers: ZitadelSessionAPI.successResponseHeaders, body: try json())
    }
}

/// A response message, encoded on demand.
package struct MessageReply<Message: SwiftProtobuf.Message>: ZitadelReply {
    let message: Message

    init(_ message: Message) {
        self.message = message
    }

    package func json() throws -> [UInt8] { try message.jsonUTF8Bytes() }
    package func proto() throws -> [UInt8] { try message.serializedBytes() }
}
