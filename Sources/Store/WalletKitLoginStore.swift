import Platform
import Seeds

/// WalletKit's login state of one scenario copy (docs/walletkit.md#the-login-flow): the seeded users, the codes
/// login-with-email "sent", and the sessions verify-login issued with their tokens. A value type:
/// `ScenarioState` owns it behind the same lock as the copy's challenges.
public struct WalletKitLoginStore: Sendable {
    public let users: [WalletKitUser]
    public let settings: WalletKitSettings

    /// A code login-with-email "sent", as the outbox lists it.
    public struct Message: Sendable, Equatable {
        public var email: String
        public var userId: String
        public var code: String
        public var sentAtMicros: Int64
    }

    /// WalletKit's `Session`, and whether logout ended it.
    public struct Session: Sendable, Equatable {
        public var id: String
        public var createdAtMicros: Int64
        public var projectId: String
        public var userId: String
        public var accessToken: String
        public var accessTokenExpiresAtMicros: Int64
        public var refreshToken: String
        public var refreshTokenExpiresAtMicros: Int64
        public var loggedOut = false
    }

    /// Oldest first (the outbox answers newest first).
    public private(set) var outbox: [Message] = []
    /// The code each user may verify with: the last one sent, until it is used.
    private var pendingCodes: [String: String] = [:]
    private var sessions: [String: Session] = [:]
    private var sessionOrder: [String] = []
    /// Current tokens only: a refreshed or logged-out token is no key here.
    private var sessionByAccessToken: [String: String] = [:]
    private var sessionByRefreshToken: [String: String] = [:]

    /// Where codes, session ids and tokens come from.
    private var random: ScenarioRandom

    public init(seed: WalletKitSeed, random: ScenarioRandom = .system) {
        self.random = random
        users = seed.users
        settings = seed.settings
    }

    private static func serves(_ user: WalletKitUser, project: String) -> Bool {
        user.project == nil || user.project == project
    }

    /// The user with `email` (case-insensitive) who logs in to `project`.
    public func user(email: String, project: String) -> WalletKitUser? {
        let wanted = email.lowercased()
        return users.first { Self.serves($0, project: project) && $0.email.lowercased() == wanted }
    }

    public func user(id: String, project: String) -> WalletKitUser? {
        users.first { Self.serves($0, project: project) && $0.userId == id }
    }

    /// Who an approved challenge logs in when neither the challenge nor the approval names one:
    /// the first seeded user of the project.
    public func defaultUserId(project: String) -> String? {
        users.first { Self.serves($0, project: project) }?.userId
    }

    /// Who verify-login, called for `project`, logs in with the approved challenge `code`: the user
    /// the challenge names (`named`: by the approval or a magic link), else the project's first
    /// seeded user, else a user id made from the code.
    public func loginUserId(named: String?, project: String, code: String) -> String {
        named ?? defaultUserId(project: project) ?? Self.userId(fromChallengeCode: code)
    }

    /// The same for a challenge `owner` owns, or (nil) one every project in `accepted` (nil: any
    /// project) may log in with: nil when the user depends on which project verify-login is
    /// called for.
    public func loginUserId(named: String?, owner: String?, accepted: Set<String>?, code: String) -> String? {
        if let named { return named }
        if let owner { return loginUserId(named: nil, project: owner, code: code) }
        // Every project a caller could send gets one of these answers: each accepted project's,
        // or, when any project is accepted, each seeded user's project's and any other project's.
        var answers: Set<String> = []
        if let accepted {
            for project in accepted { answers.insert(loginUserId(named: nil, project: project, code: code)) }
        } else {
            for project in Set(users.compactMap(\.project)) {
                answers.insert(loginUserId(named: nil, project: project, code: code))
            }
            answers.insert(users.first { $0.project == nil }?.userId ?? Self.userId(fromChallengeCode: code))
        }
        return answers.count == 1 ? answers.first : nil
    }

    /// `user_` and the code without dashes, lowercased (`K7PX-22QA` → `user_k7px22qa`): who a
    /// challenge logs in when neither it nor its project names anyone.
    public static func userId(fromChallengeCode code: String) -> String {
        "user_" + code.filter { $0 != "-" }.lowercased()
    }

    /// "Sends" `user` a code: the seeded `verificationCode`, else `codeLength` random digits. It
    /// replaces any code sent to the user before.
    public mutating func sendCode(to user: WalletKitUser, nowMicros: Int64) -> Message {
        let code = user.verificationCode ?? random.string(count: settings.codeLength, from: RandomText.digits)
        let message = Message(email: user.email, userId: user.userId, code: code, sentAtMicros: nowMicros)
        outbox.append(message)
        pendingCodes[user.userId] = code
        return message
    }

    /// Uses up the user's pending code if `code` is it.
    public mutating func redeem(userId: String, code: String) -> Bool {
        guard let pending = pendingCodes[userId], pending == code else { return false }
        pendingCodes[userId] = nil
        return true
    }

    /// A new session of `userId` in `project`, with fresh tokens.
    public mutating func issueSession(project: String, userId: String, nowMicros: Int64) -> Session {
        var id: String
        repeat {
            id = "ses_" + random.string(count: 24, from: RandomText.lowercaseAlphanumerics)
        } while sessions[id] != nil
        var session = Session(
            id: id,
            createdAtMicros: nowMicros,
            projectId: project,
            userId: userId,
            accessToken: "",
            accessTokenExpiresAtMicros: 0,
            refreshToken: "",
            refreshTokenExpiresAtMicros: 0
        )
        rotateTokens(of: &session, nowMicros: nowMicros)
        sessions[id] = session
        sessionOrder.append(id)
        return session
    }

    private mutating func rotateTokens(of session: inout Session, nowMicros: Int64) {
        sessionByAccessToken[session.accessToken] = nil
        sessionByRefreshToken[session.refreshToken] = nil
        session.accessToken = newToken(prefix: "wk_at_")
        session.refreshToken = newToken(prefix: "wk_rt_")
        session.accessTokenExpiresAtMicros = nowMicros + settings.accessTokenTtl.micros
        session.refreshTokenExpiresAtMicros = nowMicros + settings.refreshTokenTtl.micros
        sessionByAccessToken[session.accessToken] = session.id
        sessionByRefreshToken[session.refreshToken] = session.id
    }

    private mutating func newToken(prefix: String) -> String {
        prefix + random.string(count: 40, from: RandomText.lowercaseAlphanumerics)
    }

    /// refresh-token: new tokens for the session whose current, unexpired refresh token this is.
    /// The old pair stops working in the same step, so a token used twice at once refreshes once.
    public mutating func refresh(sessionId: String, refreshToken: String, project: String, nowMicros: Int64) -> Session?
    {
        guard sessionByRefreshToken[refreshToken] == sessionId, var session = sessions[sessionId],
            session.projectId == project, !session.loggedOut, nowMicros < session.refreshTokenExpiresAtMicros
        else { return nil }
        rotateTokens(of: &session, nowMicros: nowMicros)
        sessions[sessionId] = session
        return session
    }

    /// logout: ends the session whose current, unexpired access token this is; both its tokens
    /// are refused from then on.
    public mutating func logOut(accessToken: String, project: String, nowMicros: Int64) -> Bool {
        guard let id = sessionByAccessToken[accessToken], var session = sessions[id], session.projectId == project,
            nowMicros < session.accessTokenExpiresAtMicros
        else { return false }
        sessionByAccessToken[session.accessToken] = nil
        sessionByRefreshToken[session.refreshToken] = nil
        session.loggedOut = true
        sessions[id] = session
        return true
    }

    /// Every session issued in this copy, oldest first (logged-out ones included).
    public var allSessions: [Session] { sessionOrder.compactMap { sessions[$0] } }

    public func session(id: String) -> Session? { sessions[id] }

    /// Forgets a session and its tokens.
    @discardableResult
    public mutating func removeSession(id: String) -> Bool {
        guard let session = sessions.removeValue(forKey: id) else { return false }
        sessionOrder.removeAll { $0 == id }
        if sessionByAccessToken[session.accessToken] == id { sessionByAccessToken[session.accessToken] = nil }
        if sessionByRefreshToken[session.refreshToken] == id { sessionByRefreshToken[session.refreshToken] = nil }
        return true
    }
}
