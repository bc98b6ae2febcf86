import MicroHTTP
import JSON
import Platform
import Seeds
import Store

/// The login flow around the session challenge (contract §8): create a challenge or send a
/// code, verify it into a `Session`, refresh that, log out. Every endpoint checks §1's project
/// header rows first; each answer is decided and applied under the copy's one lock, so a code or
/// token used twice at once logs in (or refreshes) once.
public enum WalletKitLoginAPI {
    /// The endpoints, for their routes and the statuses a test may force on each.
    public enum Endpoint: String, Sendable, CaseIterable {
        case createSessionChallenge = "/users/create-session-challenge"
        case loginWithEmail = "/users/login-with-email"
        case loginWithMagicLink = "/users/login-with-magic-link"
        case verifyLogin = "/users/verify-login"
        case refreshToken = "/users/refresh-token"
        case logout = "/users/logout"

        public var path: String { rawValue }
    }

    /// The body's `session_challenge_code` (verify-login), read before the pipeline for `match.code`.
    public static func challengeCode(_ request: HTTPRequest) -> String? {
        guard case .object(let members)? = try? JSONParser.parse(request.body),
              case .string(let code)? = members.first(where: { $0.key == "session_challenge_code" })?.value else { return nil }
        return code
    }

    /// `POST /users/create-session-challenge`: a new challenge of the caller's project.
    public static func createSessionChallenge(_ request: HTTPRequest, state: ScenarioState) -> HTTPResponse {
        let elapsed = state.elapsedMicros
        return answer(request, state, { challenges, logins, project in
            .success(challenges.create(project: project, userId: nil, elapsedMicros: elapsed, settings: logins.settings))
        }, respond: { .json(200, SessionChallengeAPI.json($0)) })
    }

    /// `POST /users/login-with-email` `{"email"}`: "sends" the user a code (see the outbox).
    public static func loginWithEmail(_ request: HTTPRequest, state: ScenarioState) -> HTTPResponse {
        let now = WallClock.nowMicros()
        let email = RequestBody(request).email()
        return answer(request, state, { _, logins, project in
            user(email, in: logins, project: project).map { logins.sendCode(to: $0, nowMicros: now).userId }
        }, respond: { userId in
            var w = JSONWriter(capacity: 48)
            w.raw("{\"user_id\":")
            w.string(userId)
            w.raw(UInt8(ascii: "}"))
            return .json(200, w.bytes)
        })
    }

    /// `POST /users/login-with-magic-link` `{"email"}`: a new challenge that logs that user in.
    public static func loginWithMagicLink(_ request: HTTPRequest, state: ScenarioState) -> HTTPResponse {
        let elapsed = state.elapsedMicros
        let email = RequestBody(request).email()
        return answer(request, state, { challenges, logins, project in
            user(email, in: logins, project: project).map {
                challenges.create(project: project, userId: $0.userId, elapsedMicros: elapsed, settings: logins.settings)
            }
        }, respond: { .json(200, SessionChallengeAPI.json($0)) })
    }

    /// The user a login-with-email or login-with-magic-link body names, in the caller's project.
    private static func user(_ email: Result<String, WalletKitError>, in logins: WalletKitLoginStore,
                             project: String) -> Result<WalletKitUser, WalletKitError> {
        email.flatMap { logins.user(email: $0, project: project).map { .success($0) } ?? .failure(.userNotFound) }
    }

    /// `POST /users/verify-login`: `{"session_challenge_code"}` or `{"user_id","verification_code"}`.
    public static func verifyLogin(_ request: HTTPRequest, state: ScenarioState) -> HTTPResponse {
        let elapsed = state.elapsedMicros
        let now = WallClock.nowMicros()
        let form = RequestBody(request).loginForm()
        return answer(request, state, { challenges, logins, project in
            form.flatMap { form -> Result<WalletKitLoginStore.Session, WalletKitError> in
                switch form {
                case .challenge(let code):
                    switch challenges.logIn(code: code, project: project, elapsedMicros: elapsed) {
                    case .notFound: return .failure(.challengeNotFound)
                    case .otherProject: return .failure(.forbidden)
                    case .alreadyUsed: return .failure(.challengeAlreadyUsed)
                    case .expired: return .failure(.challengeExpired)
                    case .notCompleted: return .failure(.challengeNotCompleted)
                    case .loggedIn(let userId):
                        // A challenge nobody named a user for logs in the project's first seeded
                        // user, else a user id made from the challenge's code.
                        let user = userId ?? logins.defaultUserId(project: project) ?? "user_" + code.filter { $0 != "-" }.lowercased()
                        return .success(logins.issueSession(project: project, userId: user, nowMicros: now))
                    }
                case .code(let userId, let code):
                    guard logins.user(id: userId, project: project) != nil else { return .failure(.userNotFound) }
                    guard logins.redeem(userId: userId, code: code) else { return .failure(.invalidVerificationCode) }
                    return .success(logins.issueSession(project: project, userId: userId, nowMicros: now))
                }
            }
        }, respond: { .json(200, json($0)) })
    }

    /// `POST /users/refresh-token` `{"session_id","refresh_token"}`: the session with new tokens.
    public static func refreshToken(_ request: HTTPRequest, state: ScenarioState) -> HTTPResponse {
        let now = WallClock.nowMicros()
        let body = RequestBody(request)
        let fields = body.requiredString("session_id").flatMap { id in body.requiredString("refresh_token").map { (id, $0) } }
        return answer(request, state, { _, logins, project in
            fields.flatMap { sessionId, refreshToken in
                logins.refresh(sessionId: sessionId, refreshToken: refreshToken, project: project, nowMicros: now)
                    .map { .success($0) } ?? .failure(.invalidRefreshToken)
            }
        }, respond: { .json(200, json($0)) })
    }

    /// `POST /users/logout` with `Authorization: Bearer <access_token>`: 204, and both of the
    /// session's tokens are refused from then on.
    public static func logout(_ request: HTTPRequest, state: ScenarioState) -> HTTPResponse {
        let token = request.header("Authorization").flatMap(BearerToken.parse)
        let now = WallClock.nowMicros()
        return answer(request, state, { _, logins, project in
            guard let token, logins.logOut(accessToken: token, project: project, nowMicros: now) else { return .failure(.invalidAccessToken) }
            return .success(())
        }, respond: { HTTPResponse(status: 204) })
    }

    /// Every endpoint's frame: §1's two project header rows, then `decide` with the caller's
    /// project under the copy's lock (the body is read before, outside it), then `respond`
    /// encodes its success outside the lock again.
    private static func answer<Value>(
        _ request: HTTPRequest, _ state: ScenarioState,
        _ decide: (inout SessionChallengeStore, inout WalletKitLoginStore, _ project: String) -> Result<Value, WalletKitError>,
        respond: (Value) -> HTTPResponse
    ) -> HTTPResponse {
        guard let project = request.walletKitProject else { return WalletKitError.missingProjectId.response }
        let result = state.withWalletKit { challenges, logins -> Result<Value, WalletKitError> in
            guard challenges.acceptsProject(project) else { return .failure(.invalidProjectId) }
            return decide(&challenges, &logins, project)
        }
        switch result {
        case .failure(let error): return error.response
        case .success(let value): return respond(value)
        }
    }

    /// WalletKit's `Session`, fields in the vendor OpenAPI's order, times with milliseconds.
    public static func json(_ session: WalletKitLoginStore.Session) -> [UInt8] {
        var w = JSONWriter(capacity: 320)
        w.raw("{\"id\":")
        w.string(session.id)
        w.raw(",\"created_at\":")
        w.string(RFC3339.formatMillis(micros: session.createdAtMicros))
        w.raw(",\"project_id\":")
        w.string(session.projectId)
        w.raw(",\"user_id\":")
        w.string(session.userId)
        w.raw(",\"access_token\":")
        w.string(session.accessToken)
        w.raw(",\"access_token_expires_at\":")
        w.string(RFC3339.formatMillis(micros: session.accessTokenExpiresAtMicros))
        w.raw(",\"refresh_token\":")
        w.string(session.refreshToken)
        w.raw(",\"refresh_token_expires_at\":")
        w.string(RFC3339.formatMillis(micros: session.refreshTokenExpiresAtMicros))
        w.raw(UInt8(ascii: "}"))
        return w.bytes
    }
}

extension HTTPRequest {
    /// §1 row 1: the trimmed `X-WalletKit-Project-ID`, nil when missing or empty.
    var walletKitProject: String? {
        guard let project = header("X-WalletKit-Project-ID")?.trimmingSpaces, !project.isEmpty else { return nil }
        return project
    }
}

/// A login request's JSON object body, read field by field into `ErrorResponse`s that name
/// the field. JSON `null` counts as absent (the vendor OpenAPI marks the fields nullable), and
/// so does an empty string; unknown fields are ignored, as WalletKit's API does.
struct RequestBody {
    private let members: [(key: String, value: JSONValue)]?

    init(_ request: HTTPRequest) {
        if case .object(let members)? = try? JSONParser.parse(request.body) {
            self.members = members
        } else {
            members = nil
        }
    }

    private func value(_ name: String) -> JSONValue? {
        guard let value = members?.first(where: { $0.key == name })?.value else { return nil }
        if case .null = value { return nil }
        if case .string(let text) = value, text.isEmpty { return nil }
        return value
    }

    func optionalString(_ name: String) -> Result<String?, WalletKitError> {
        guard members != nil else { return .failure(.invalidBody) }
        guard let value = value(name) else { return .success(nil) }
        guard case .string(let text) = value else { return .failure(.invalidField(name, "must be a string, not \(value.typeName)")) }
        guard text.utf8.count <= Self.maxFieldBytes else { return .failure(.invalidField(name, "must be at most \(Self.maxFieldBytes) bytes")) }
        return .success(text)
    }

    func requiredString(_ name: String) -> Result<String, WalletKitError> {
        optionalString(name).flatMap { $0.map { .success($0) } ?? .failure(.missingField(name)) }
    }

    /// Longest token, code or id accepted; the mock's own are far shorter.
    static let maxFieldBytes = 1024

    func email() -> Result<String, WalletKitError> {
        requiredString("email").flatMap { email in
            if email.utf8.count > SeedParser.maxEmailLength {
                return .failure(.invalidField("email", "must be at most \(SeedParser.maxEmailLength) bytes"))
            }
            return .success(email)
        }
    }

    enum LoginForm {
        case challenge(code: String)
        case code(userId: String, code: String)
    }

    func loginForm() -> Result<LoginForm, WalletKitError> {
        let challenge: String?, userId: String?, code: String?
        switch (optionalString("session_challenge_code"), optionalString("user_id"), optionalString("verification_code")) {
        case (.success(let a), .success(let b), .success(let c)): (challenge, userId, code) = (a, b, c)
        case (.failure(let error), _, _), (_, .failure(let error), _), (_, _, .failure(let error)): return .failure(error)
        }
        switch (challenge, userId, code) {
        case (let challenge?, nil, nil): return .success(.challenge(code: challenge))
        case (nil, let userId?, let code?): return .success(.code(userId: userId, code: code))
        case (nil, nil, nil):
            let other = ["siwe_message", "signature", "passkey_credential_assertion_response"].first { value($0) != nil }
            if let other { return .failure(.unsupportedLoginMethod(other)) }
            return .failure(.missingField("session_challenge_code' or 'user_id' and 'verification_code"))
        case (nil, nil, _?): return .failure(.missingField("user_id"))
        case (nil, _?, nil): return .failure(.missingField("verification_code"))
        case (_?, _, _): return .failure(.conflictingLoginForms)
        }
    }
}
