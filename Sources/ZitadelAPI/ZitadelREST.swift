import JSON
import MicroHTTP
import MockPipeline
import Store
import SwiftProtobuf

/// A declared RPC on its REST route, as grpc-gateway maps it: the request message is the body's
/// proto3 JSON (when the mapping has a body; an empty body is the empty message), then the path's
/// fields, then (for GET) the query's. Answers are proto3 JSON of the response, errors the
/// gateway's gRPC-status JSON.
enum ZitadelREST {
    static func serve<Request: SwiftProtobuf.Message, Reply: ZitadelReply>(
        _ request: HTTPRequest,
        pipeline: MockRequestPipeline,
        shape: ZitadelRESTErrorShape,
        rpc: String,
        rest: ZitadelEndpoint.RESTMapping,
        fields: ZitadelRequestFields<Request>,
        handle: (Request, ZitadelCall) throws(ZitadelError) -> Reply
    ) -> (HTTPResponse, scenario: String?) {
        let decoded: Result<Request, ZitadelError>
        do throws(ZitadelError) {
            decoded = .success(try message(Request.self, of: request, rest: rest, fields: fields))
        } catch {
            decoded = .failure(error)
        }
        return pipeline.run(
            request,
            shape: shape,
            subject: {
                guard case .success(let message) = decoded else { return fields.faultSubject(rpc: rpc, message: nil) }
                return fields.faultSubject(rpc: rpc, message: message)
            },
            endpoint: { request, state in
                let reply: Reply
                do throws(ZitadelError) {
                    switch decoded {
                    case .success(let message): reply = try handle(message, ZitadelCall(request, state: state))
                    case .failure(let error): throw error
                    }
                } catch {
                    return error.response
                }
                do {
                    return try reply.restResponse(status: rest.successStatus)
                } catch {
                    return ZitadelError.internalError.response
                }
            }
        )
    }

    /// ZITADEL's gateway unmarshals with `DiscardUnknown`: a newer client's extra field is ignored.
    static let decodingOptions: JSONDecodingOptions = {
        var options = JSONDecodingOptions()
        options.ignoreUnknownFields = true
        return options
    }()

    /// The request message of a REST call. A body that is not the message's proto3 JSON, or has
    /// wrong types, is 400 code 3; unknown fields are ignored.
    static func message<Request: SwiftProtobuf.Message>(
        _ type: Request.Type,
        of request: HTTPRequest,
        rest: ZitadelEndpoint.RESTMapping,
        fields: ZitadelRequestFields<Request>
    ) throws(ZitadelError) -> Request {
        var message = Request()
        if rest.body != nil, !request.body.isEmpty {
            do {
                message = try Request(jsonUTF8Bytes: request.body, options: Self.decodingOptions)
            } catch {
                let name = Request.protoMessageName.split(separator: ".").last ?? ""
                throw .invalidArgument("invalid \(name): \(error)")
            }
        }
        for binding in fields.path {
            binding.set(&message, request.pathParameters[binding.names[0]] ?? "")
        }
        // A plain loop: a lazy collection would capture (copy) the request.
        if !request.query.isEmpty {
            for binding in fields.query {
                for name in binding.names {
                    if let value = request.queryValue(name) {
                        binding.set(&message, value)
                        break
                    }
                }
            }
        }
        return message
    }
}
