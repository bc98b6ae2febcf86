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
        _ request: HTTPRequest, pipeline: MockRequestPipeline, shape: ZitadelRESTErrorShape, rpc: String,
        rest: ZitadelEndpoint.RESTMapping, fields: ZitadelRequestFields<Request>,
        handle: (Request, ZitadelCall) throws(ZitadelError) -> Reply
    ) -> (HTTPResponse, scenario: String?) {
        let decoded = Result { () throws(ZitadelError) in try message(Request.self, of: request, rest: rest, fields: fields) }
        return pipeline.run(
            request, shape: shape,
            subject: {
                var subject = (try? decoded.get()).map(fields.subject) ?? FaultSubject()
                subject.rpc = rpc
                return subject
            },
            endpoint: { request, state in
                do throws(ZitadelError) {
                    let reply = try handle(try decoded.get(), ZitadelCall(request: request, state: state))
                    do {
                        return try reply.restResponse(status: rest.successStatus)
                    } catch {
                        return ZitadelError.internalError.response
                    }
                } catch {
                    return error.response
                }
            })
    }

    /// The request message of a REST call. A body that is not the message's proto3 JSON, or has
    /// unknown fields or wrong types, is 400 code 3.
    static func message<Request: SwiftProtobuf.Message>(
        _ type: Request.Type, of request: HTTPRequest, rest: ZitadelEndpoint.RESTMapping, fields: ZitadelRequestFields<Request>
    ) throws(ZitadelError) -> Request {
        var message = Request()
        if rest.body != nil, !request.body.isEmpty {
            do {
                message = try Request(jsonUTF8Bytes: request.body)
            } catch {
                let name = Request.protoMessageName.split(separator: ".").last ?? ""
                throw .invalidArgument("invalid \(name): \(error)")
            }
        }
        for binding in fields.path {
            binding.set(&message, request.pathParameters[binding.names[0]] ?? "")
        }
        for binding in fields.query {
            if let value = binding.names.lazy.compactMap({ request.queryValue($0) }).first {
                binding.set(&message, value)
            }
        }
        return message
    }
}
