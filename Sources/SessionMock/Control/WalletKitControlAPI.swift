import JSON
import MicroHTTP
import Platform
import Seeds
import Store
import WalletKitAPI

/// The user's side of WalletKit's login flow, driven by the test (docs/control-api.md): approving a
/// challenge on "another device", reading the codes login-with-email "sent", and the sessions
/// verify-login issued. Each route takes `?scenario=NAME[@KEY]`.
struct WalletKitControlAPI: Sendable {
    let registry: ScenarioRegistry

    func register(on router: inout Router) {
        add("POST", "/__admin/walletkit/session-challenges/:code/complete", on: &router, complete)
        add("GET", "/__admin/walletkit/outbox", on: &router) { request, state in
            let email = request.queryValue("email")?.lowercased()
            let messages = state.withWalletKit { _, logins in logins.outbox }
                .reversed()
                .filter { email == nil || $0.email.lowercased() == email }
                .map { message -> JSONValue in
                    .object([
                        ("email", .string(message.email)), ("userId", .string(message.userId)),
                        ("code", .string(message.code)),
                        ("sentAt", .string(RFC3339.formatMillis(micros: message.sentAtMicros))),
                    ])
                }
            return .json(200, JSONValue.object([("messages", .array(messages))]).serialized)
        }
        add("GET", "/__admin/walletkit/sessions", on: &router) { _, state in
            let sessions = state.withWalletKit { _, logins in logins.allSessions }.map(Self.entry)
            return .json(
                200,
                JSONValue.object([("scenario", .string(state.name)), ("sessions", .array(sessions))]).serialized
            )
        }
        add("GET", "/__admin/walletkit/sessions/:id", on: &router) { request, state in
            let id = request.pathParameters["id"] ?? ""
            guard let session = state.withWalletKit({ _, logins in logins.session(id: id) }) else {
                return Self.noSession(id)
            }
            return .json(200, Self.entry(session).serialized)
        }
        add("DELETE", "/__admin/walletkit/sessions/:id", on: &router) { request, state in
            let id = request.pathParameters["id"] ?? ""
            guard state.withWalletKit({ _, logins in logins.removeSession(id: id) }) else { return Self.noSession(id) }
            return .json(200, JSONValue.object([("deleted", .string(id))]).serialized)
        }
    }

    private func add(
        _ method: String,
        _ pattern: String,
        on router: inout Router,
        _ handler: @escaping @Sendable (HTTPRequest, ScenarioState) -> HTTPResponse
    ) {
        router.addScenarioRoute(method, pattern, registry: registry, handler)
    }

    /// `POST …/session-challenges/{code}/complete` `[{"userId"}]`: the challenge reads
    /// `completed: true` and verify-login logs in that user (else the one it was made for, else
    /// the project's first seeded user, else `user_<code>`). The answer names that user; only for a
    /// challenge no project owns and no one named, when it depends on verify-login's project
    /// header, it names none.
    private func complete(_ request: HTTPRequest, _ state: ScenarioState) -> HTTPResponse {
        let code = request.pathParameters["code"] ?? ""
        var userId: String?
        if !request.body.isEmpty {
            guard case .object(let members)? = try? JSONParser.parse(request.body) else {
                return AdminAPI.error(400, #"the body must be empty or {"userId": "…"}"#)
            }
            for (key, value) in members {
                guard key == "userId" else {
                    return AdminAPI.error(400, "unknown field '\(key)': the body takes only 'userId'")
                }
                switch value {
                case .string(let id) where !id.isEmpty: userId = id
                case .null: break
                default: return AdminAPI.error(400, "'userId' must be a non-empty string")
                }
            }
        }
        let elapsed = state.elapsedMicros
        let result = state.withWalletKit {
            challenges,
            logins -> (approval: SessionChallengeStore.Approval, loginUser: String?) in
            let approval = challenges.approve(code: code, userId: userId, elapsedMicros: elapsed)
            guard case .completed(let project, _, let named) = approval else { return (approval, nil) }
            return (
                approval, logins.loginUserId(named: named, owner: project, accepted: challenges.projects, code: code)
            )
        }
        switch result.approval {
        case .notFound: return AdminAPI.error(404, "no session challenge with code '\(code)'")
        case .expired:
            return AdminAPI.error(409, "session challenge '\(code)' has expired: it can no longer be approved")
        case .alreadyUsed: return AdminAPI.error(409, "session challenge '\(code)' has already logged a user in")
        case .completed(let project, let challenge, _):
            guard case .object(var members) = SessionChallengeCollection.entry(project: project, challenge: challenge)
            else {
                return AdminAPI.error(500, "unencodable challenge")
            }
            if let user = result.loginUser { members.append(("userId", .string(user))) }
            return .json(200, JSONValue.object(members).serialized)
        }
    }

    /// A session as the store API lists it: WalletKit's `Session` and whether logout ended it.
    static func entry(_ session: WalletKitLoginStore.Session) -> JSONValue {
        .object([
            ("session", (try? JSONParser.parse(WalletKitLoginAPI.json(session))) ?? .null),
            ("loggedOut", .bool(session.loggedOut)),
        ])
    }

    private static func noSession(_ id: String) -> HTTPResponse {
        AdminAPI.error(404, "no WalletKit session with id '\(id)'")
    }
}
