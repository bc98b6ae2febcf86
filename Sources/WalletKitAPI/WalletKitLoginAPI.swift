import JSON
import MicroHTTP
import Platform
import Seeds
import Store

/// The login flow around the session challenge: create a challenge or send a code, verify it
/// into a `Session`, refresh that, log out. Every endpoint checks the project header rows first;
/// each answer is decided and applied under the copy's one lock, so a code or token used twice at
/// once logs in (or refreshes) once.
public enum WalletKitLoginAPI {
    /// The body's `session_challenge_code` (verify-login), read before the pipeline for `match.code`.
    public static func challengeCode(_ request: HTTPRequest) -> String? {
        guard case .object(let members)? = try? JSONParser.parse(request.body),
            case .string(let code)? = members.first(where: { $0.key == "session_challenge_code" })?.value
        else { return nil }
        return code
    }

    /// `POST /users/create-session-challenge`: a new challenge of the caller's project.
    public static func createSessionChallenge(
        _ request: HTTPRequest,
        state: ScenarioState
    ) throws(WalletKitError) -> HTTPResponse {
        let elapsed = state.elapsedMicros
        let challenge = try answer(request, state) { challenges, logins, project throws(WalletKitError) in
            challenges.create(project: project, userId: nil, elapsedMicros: elapsed, settings: logins.settings)
        }
        return .json(200, SessionChallengeAPI.json(challenge))
    }

    /// `POST /users/login-with-email` `{"email"}`: "sends" the user a code (see the outbox).
    public static func loginWithEmail(
        _ request: HTTPRequest,
        state: ScenarioState
    ) throws(WalletKitError) -> HTTPResponse {
        let now = state.clock.nowMicros()
        let email = Result { () throws(WalletKitError) in try RequestBody(request).email() }
        let userId = try answer(request, state) { _, logins, project throws(WalletKitError) in
            logins.sendCode(to: try user(try email.get(), in: logins, project: project), nowMicros: now).userId
        }
        var w = JSONWriter(capacity: 48)
        w.raw("{\"user_id\":")
        w.string(userId)
        w.raw(UInt8(ascii: "}"))
        return .json(200, w.bytes)
    }

    /// `POST /users/login-with-magic-link` `{"email"}`: a new challenge that logs that user in.
    public static func loginWithMagicLink(
        _ request: HTTPRequest,
        state: ScenarioState
    ) throws(WalletKitError) -> HTTPResponse {
        let elapsed = state.elapsedMicros
        let email = Result { () throws(WalletKitError) in try RequestBody(request).email() }
        let challenge = try answer(request, state) { challenges, logins, project throws(WalletKitError) in
            let user = try user(try email.get(), in: logins, project: project)
            return challenges.create(
                project: project,
                userId: user.userId,
                elapsedMicros: elapsed,
                settings: logins.settings
            )
        }
        return .json(200, SessionChallengeAPI.json(challenge))
    }

    /// The user a login-with-email or login-with-magic-link body names, in the caller's project.
    private static func user(
        _ email: String,
        in logins: WalletKitLoginStore,
        project: String
    ) throws(WalletKitError) -> WalletKitUser {
        guard let user = logins.user(email: email, project: project) else { throw .userNotFound }
        return user
    }

    /// `POST /users/verify-login`: `{"session_challenge_code"}` or `{"user_id","verification_code"}`.
    public static func verifyLogin(_ request: HTTPRequest, state: ScenarioState) throws(WalletKitError) -> HTTPResponse
    {
        // One reading of the copy's clock for the whole request: the challenge's expiry and the
        // session's dates see the same instant.
        let now = state.clock.nowMicros()
        let elapsed = now - state.loadedAtMicros
        let form = Result { () throws(WalletKitError) in try RequestBody(request).loginForm() }
        let session = try answer(request, state) { challenges, logins, project throws(WalletKitError) in
            switch try form.get() {
            case .challenge(let code):
                switch challenges.logIn(code: code, project: project, elapsedMicros: elapsed) {
                case .notFound: throw .challengeNotFound
                case .otherProject: throw .forbidden
                case .alreadyUsed: throw .challengeAlreadyUsed
                case .expired: throw .challengeExpired
                case .notCompleted: throw .challengeNotCompleted
                case .loggedIn(let userId):
                    // A challenge nobody named a user for logs in the project's first seeded
                    // user, else a user id made from the challenge's code.
                    let user = logins.loginUserId(named: userId, project: project, code: code)
                    return logins.issueSession(project: project, userId: user, nowMicros: now)
                }
            case .code(let userId, let code):
                guard logins.user(id: userId, project: project) != nil else { throw .userNotFound }
                guard logins.redeem(userId: userId, code: code) else { throw .invalidVerificationCode }
                return logins.issueSession(project: project, userId: userId, nowMicros: now)
            }
        }
        return .json(200, json(session))
    }

    /// `POST /users/refresh-token` `{"session_id","refresh_token"}`: the session with new tokens.
    public static func refreshToken(_ request: HTTPRequest, state: ScenarioState) throws(WalletKitError) -> HTTPResponse
    {
        let now = state.clock.nowMicros()
        let fields = Result { () throws(WalletKitError) in
            let body = RequestBody(request)
            return (try body.requiredString("session_id"), try body.requiredString("refresh_token"))
        }
        let session = try answer(request, state) { _, logins, project throws(WalletKitError) in
            let (sessionId, refreshToken) = try fields.get()
            guard
                let session = logins.refresh(
                    sessionId: sessionId,
                    refreshToken: refreshToken,
                    project: project,
                    nowMicros: now
                )
            else { throw .invalidRefreshToken }
            return session
        }
        return .json(200, json(session))
    }

    /// `POST /users/logout` with `Authorization: Bearer <access_token>`: 204, and both of the
    /// session's tokens are refused from then on.
    public static func logout(_ request: HTTPRequest, state: ScenarioState) throws(WalletKitError) -> HTTPResponse {
        let token = request.header("Authorization").flatMap(BearerToken.parse)
        let now = state.clock.nowMicros()
        try answer(request, state) { _, logins, project throws(WalletKitError) in
            guard let token, logins.logOut(accessToken: token, project: project, nowMicros: now) else {
                throw .invalidAccessToken
            }
        }
        return HTTPResponse(status: 204)
    }

    /// Every endpoint's frame: the two project header rows, then `decide` with the caller's
    /// project under the copy's lock (the body is read before, outside it); the caller encodes
    /// the answer outside the lock again.
    private static func answer<Value>(
        _ request: HTTPRequest,
        _ state: ScenarioState,
        _ decide: (inout SessionChallengeStore, inout WalletKitLoginStore, _ project: String) throws(WalletKitError) ->
            Value
    ) throws(WalletKitError) -> Value {
        guard let project = request.walletKitProject else { throw .missingProjectId }
        return try state.withWalletKit { challenges, logins throws(WalletKitError) -> Value in
            guard challenges.acceptsProject(project) else { throw .invalidProjectId }
            return try decide(&challenges, &logins, project)
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
    /// The trimmed `X-WalletKit-Project-ID`, nil when missing or empty (the first row of every endpoint).
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

    func optionalString(_ name: String) throws(WalletKitError) -> String? {
        guard members != nil else { throw .invalidBody }
        guard let value = value(name) else { return nil }
        guard case .string(let text) = value else {
            throw .invalidField(name, "must be a string, not \(value.typeName)")
        }
        guard text.utf8.count <= Self.maxFieldBytes else {
            throw .invalidField(name, "must be at most \(Self.maxFieldBytes) bytes")
        }
        return text
    }

    func requiredString(_ name: String) throws(WalletKitError) -> String {
        guard let text = try optionalString(name) else { throw .missingField(name) }
        return text
    }

    /// Longest token, code or id accepted; the mock's own are far shorter.
    static let maxFieldBytes = 1024

    func email() throws(WalletKitError) -> String {
        let email = try requiredString("email")
        if email.utf8.count > SeedParser.maxEmailLength {
            throw .invalidField("email", "must be at most \(SeedParser.maxEmailLength) bytes")
        }
        return email
    }

    enum LoginForm {
        case challenge(code: String)
        case code(userId: String, code: String)
    }

    func loginForm() throws(WalletKitError) -> LoginForm {
        let challenge = try optionalString("session_challenge_code")
        let userId = try optionalString("user_id")
        let code = try optionalString("verification_code")
        switch (challenge, userId, code) {
        case (let challenge?, nil, nil): return .challenge(code: challenge)
        case (nil, let userId?, let code?): return .code(userId: userId, code: code)
        case (nil, nil, nil):
            let other = ["siwe_message", "signature", "passkey_credential_assertion_response"].first {
                value($0) != nil
            }
            if let other { throw .unsupportedLoginMethod(other) }
            throw .missingField("session_challenge_code' or 'user_id' and 'verification_code")
        case (nil, nil, _?): throw .missingField("user_id")
        case (nil, _?, nil): throw .missingField("verification_code")
        case (_?, _, _): throw .conflictingLoginForms
        }
    }
}
