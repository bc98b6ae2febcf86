#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import JSON
import MicroHTTP
import Store
import SwiftProtobuf

/// The lifecycle RPCs over REST (grpc-gateway's mapping): `POST /v2/sessions`,
/// `PATCH|DELETE /v2/sessions/{id}`, `POST /v2/sessions/search`. Bodies are proto3 JSON of the
/// request message (path fields win over the body), answers proto3 JSON of the response.
public enum ZitadelLifecycleREST {
    public static func createSession(_ request: HTTPRequest, state: ScenarioState) -> HTTPResponse {
        decoded(Zitadel_Session_V2_CreateSessionRequest.self, request) { message in
            answer(ZitadelSessionLifecycle.create(message, authorization: request.header("Authorization"), state: state), status: 201)
        }
    }

    public static func setSession(_ request: HTTPRequest, state: ScenarioState) -> HTTPResponse {
        decoded(Zitadel_Session_V2_SetSessionRequest.self, request) { message in
            var message = message
            message.sessionID = request.pathParameters["sessionId"] ?? ""
            return answer(ZitadelSessionLifecycle.set(message, authorization: request.header("Authorization"), state: state))
        }
    }

    public static func deleteSession(_ request: HTTPRequest, state: ScenarioState) -> HTTPResponse {
        decoded(Zitadel_Session_V2_DeleteSessionRequest.self, request) { message in
            var message = message
            message.sessionID = request.pathParameters["sessionId"] ?? ""
            return answer(ZitadelSessionLifecycle.delete(message, authorization: request.header("Authorization"), state: state))
        }
    }

    public static func listSessions(_ request: HTTPRequest, state: ScenarioState) -> HTTPResponse {
        decoded(Zitadel_Session_V2_ListSessionsRequest.self, request) { message in
            switch ZitadelSessionLifecycle.list(message, authorization: request.header("Authorization"), state: state) {
            case .failure(let error): return error.response
            case .success(let result): return HTTPResponse(status: 200, headers: ZitadelSessionAPI.successResponseHeaders, body: listBody(result.details, result.records))
            }
        }
    }

    /// The login name a REST CreateSession / SetSession body's user check names, for fault rules
    /// (`match.loginName`), read before the pipeline decides whether the endpoint runs at all.
    public static func checkedLoginName(_ request: HTTPRequest) -> String? {
        guard !request.body.isEmpty, let body = try? JSONParser.parse(request.body),
              case .string(let name)? = body["checks"]?["user"]?["loginName"] ?? body["checks"]?["user"]?["login_name"]
        else { return nil }
        return name
    }

    /// `{"details":…,"sessions":[…]}`, each session exactly as GetSession sends it.
    static func listBody(_ details: Zitadel_Object_V2_ListDetails, _ records: [ZitadelSessionStore.Record]) -> [UInt8] {
        var body = Array(#"{"details":"#.utf8) + ((try? details.jsonUTF8Bytes()) ?? Array("{}".utf8))
        if !records.isEmpty {
            body += Array(#","sessions":["#.utf8)
            for (index, record) in records.enumerated() {
                if index > 0 { body.append(UInt8(ascii: ",")) }
                // `{"session":{…}}` without its wrapper.
                let wrapped = record.responseBody
                body += wrapped[11..<(wrapped.count - 1)]
            }
            body.append(UInt8(ascii: "]"))
        }
        body.append(UInt8(ascii: "}"))
        return body
    }

    /// The body as `Message`'s proto3 JSON (an empty body is the empty message); a body that is
    /// not, or has unknown fields or wrong types, is 400 code 3 and goes no further.
    static func decoded<Message: SwiftProtobuf.Message>(_ type: Message.Type, _ request: HTTPRequest,
                                                        _ body: (Message) -> HTTPResponse) -> HTTPResponse {
        if request.body.isEmpty { return body(Message()) }
        do {
            return body(try Message(jsonUTF8Bytes: request.body))
        } catch {
            return ZitadelError.invalidArgument("invalid \(String(describing: Message.protoMessageName.split(separator: ".").last ?? "")): \(error)").response
        }
    }

    static func answer<Message: SwiftProtobuf.Message>(_ checked: ZitadelRPC.Checked<Message>, status: Int = 200) -> HTTPResponse {
        switch checked {
        case .failure(let error): return error.response
        case .success(let message):
            return HTTPResponse(status: status, headers: ZitadelSessionAPI.successResponseHeaders, body: (try? message.jsonUTF8Bytes()) ?? Array("{}".utf8))
        }
    }
}

/// Requests whose checks may name a user by login name (CreateSession, SetSession).
protocol UserChecking {
    var checks: Zitadel_Session_V2_Checks { get }
    var hasChecks: Bool { get }
}

extension UserChecking {
    var checkedLoginName: String? {
        guard hasChecks, case .loginName(let name)? = checks.user.search else { return nil }
        return name
    }
}

extension Zitadel_Session_V2_CreateSessionRequest: UserChecking {}
extension Zitadel_Session_V2_SetSessionRequest: UserChecking {}
