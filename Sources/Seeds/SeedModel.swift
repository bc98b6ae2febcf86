import JSON
import Platform

/// One seed document (one scenario), validated. Wire objects keep the vendor's shape; the
/// mock-only fields (`project`, `timeline`, `sessionToken`, …) sit beside them.
public struct SeedDocument: Sendable {
    public var walletKit = WalletKitSeed()
    public var zitadel = ZitadelSeed()
    public var faults: [FaultRule] = []
    /// Where each copy's clock starts (`clock`); nil: on the wall clock.
    public var clock: SeedClock?
    /// `randomSeed`: each copy draws its ids, tokens and codes from a generator seeded with it;
    /// nil: from the system's secure generator.
    public var randomSeed: UInt64?

    public init() {}
}

/// The server's `clock` and `randomSeed` for seeds that set none of their own: a seed is the
/// more specific, so its own win.
public struct SeedDefaults: Sendable, Equatable {
    public var clock: SeedClock?
    public var randomSeed: UInt64?

    public init(clock: SeedClock? = nil, randomSeed: UInt64? = nil) {
        self.clock = clock
        self.randomSeed = randomSeed
    }

    public func applied(to seed: SeedDocument) -> SeedDocument {
        var seed = seed
        if seed.clock == nil { seed.clock = clock }
        if seed.randomSeed == nil { seed.randomSeed = randomSeed }
        return seed
    }
}

/// A seed's `clock`: the time its copies start at on load and reset, and whether it stands still.
public struct SeedClock: Sendable, Equatable {
    /// nil: the wall clock's time (a relative `now±duration` counts from it too).
    public var start: SeedTimestamp?
    public var frozen: Bool

    public init(start: SeedTimestamp?, frozen: Bool) {
        self.start = start
        self.frozen = frozen
    }

    /// The times a copy's clock may show: years 0101 to 9799. Every time the mock computes from
    /// the clock (a lifetime, a TTL, `now±duration`: at most 100 years away) stays within RFC
    /// 3339's years 0001 to 9999, so it can be written.
    public static let range: ClosedRange<Int64> = -58_979_923_200_000_000...247_090_953_599_999_999
    public static let rangeText = "years 0101 to 9799"

    /// A clock's `start` as a seed or `serve --clock-start` writes it: a timestamp inside `range`,
    /// or `now±duration`.
    public static func parseStart(_ text: String) -> Result<SeedTimestamp, SeedTimeError> {
        let parsed = SeedTimestamp.parse(text)
        if case .success(let start) = parsed, case .absolute(let written) = start, let micros = start.micros(now: 0),
            !range.contains(micros)
        {
            return .failure(SeedTimeError("'\(written)' is outside \(rangeText), where a clock may be"))
        }
        return parsed
    }
}

public struct WalletKitSeed: Sendable {
    /// nil: any non-empty project id is accepted.
    public var projects: [String]?
    public var sessionChallenges: [SessionChallengeSeed] = []
    /// Who login-with-email, login-with-magic-link and a completed challenge log in.
    public var users: [WalletKitUser] = []
    public var settings = WalletKitSettings()
}

/// A `walletkit.users` entry.
public struct WalletKitUser: Sendable, Equatable {
    public var userId: String
    public var email: String
    /// nil: the user logs in to every project.
    public var project: String?
    /// The code login-with-email "sends"; nil: a fresh random code each time.
    public var verificationCode: String?

    public init(userId: String, email: String, project: String? = nil, verificationCode: String? = nil) {
        self.userId = userId
        self.email = email
        self.project = project
        self.verificationCode = verificationCode
    }
}

/// `walletkit.settings`: lifetimes and code shapes of what the login flow creates.
public struct WalletKitSettings: Sendable, Equatable {
    /// A created challenge reads `expired: true` this long after it was created (scenario clock).
    public var challengeTtl = SeedDuration(micros: 10 * 60 * 1_000_000)
    public var accessTokenTtl = SeedDuration(micros: 3600 * 1_000_000)
    public var refreshTokenTtl = SeedDuration(micros: 30 * 86400 * 1_000_000)
    /// Digits of a login-with-email verification code.
    public var codeLength = 6
    /// Timeline steps every created challenge gets (`after` counts from its creation).
    public var newChallengeTimeline: [TimelineStep] = []

    public init() {}
}

/// WalletKit's `SessionChallenge`, all four fields always present on the wire.
public struct SessionChallenge: Sendable, Equatable {
    public var id: String
    public var code: String
    public var expired: Bool
    public var completed: Bool

    public init(id: String, code: String, expired: Bool, completed: Bool) {
        self.id = id
        self.code = code
        self.expired = expired
        self.completed = completed
    }
}

public struct SessionChallengeSeed: Sendable {
    /// nil: the challenge belongs to every project.
    public var project: String?
    public var challenge: SessionChallenge
    public var timeline: [TimelineStep] = []

    public init(project: String?, challenge: SessionChallenge, timeline: [TimelineStep] = []) {
        self.project = project
        self.challenge = challenge
        self.timeline = timeline
    }
}

/// A state change of a challenge, after N answered polls or a time since the seed was loaded.
public struct TimelineStep: Sendable, Equatable {
    public enum Trigger: Sendable, Equatable {
        case afterPolls(Int)
        case after(SeedDuration)
    }
    public var trigger: Trigger
    public var setExpired: Bool?
    public var setCompleted: Bool?
}

public struct ZitadelSeed: Sendable {
    public var tokens: [ZitadelToken] = []
    public var sessions: [ZitadelSessionSeed] = []
    /// The people a session can check (CreateSession / SetSession).
    public var users: [ZitadelUser] = []
    /// `details.resourceOwner` of a change to a session without a checked user.
    public var instanceId: String?
    /// The instance's organizations (`zitadel.organizations`); none seeded: one default organization.
    public var organizations: [ZitadelOrganization] = []
    /// The OIDC applications a login may be started for (`zitadel.oidc.clients`).
    public var oidcClients: [ZitadelOIDCClient] = []
    /// Auth requests waiting for a login UI (`zitadel.oidc.authRequests`).
    public var authRequests: [ZitadelAuthRequestSeed] = []
    /// The instance's settings (`zitadel.settings`); what is not seeded is a new instance's default.
    public var settings = ZitadelSettingsSeed()
}

/// Settings objects as ZITADEL's wire JSON (`zitadel.settings`, or an organization's `settings`),
/// each a merge patch over the layer below it: a new instance's defaults, then the instance's
/// seeded object, then the organization's.
public struct ZitadelSettingsSeed: Sendable, Equatable {
    /// The keys whose value is one settings object.
    public static let objectKeys = [
        "login", "branding", "passwordComplexity", "passwordExpiry", "lockout", "security", "legalAndSupport",
        "domain", "general",
    ]
    /// The keys ZITADEL keeps for the whole instance only (no organization has its own).
    public static let instanceKeys: Set<String> = ["general", "security"]
    /// The key whose value is a list (GetActiveIdentityProviders' `identityProviders`).
    public static let identityProvidersKey = "identityProviders"

    /// Seeded values by key, as given.
    public var objects: [String: JSONValue] = [:]

    public init() {}

    /// `lockout.maxPasswordAttempts` when seeded and above 0 (0 is ZITADEL's "no lockout").
    public var maxPasswordAttempts: Int? {
        guard case .object(let members)? = objects["lockout"],
            let value = members.last(where: { $0.key == "maxPasswordAttempts" || $0.key == "max_password_attempts" })?
                .value
        else { return nil }
        // proto3 JSON writes uint64 as a string and reads either form.
        let attempts: Int?
        switch value {
        case .number(let text), .string(let text): attempts = Int(text)
        default: attempts = nil
        }
        return attempts.flatMap { $0 > 0 ? $0 : nil }
    }
}

/// An organization as ZITADEL's `Organization` message has it.
public struct ZitadelOrganization: Sendable, Equatable {
    public var id: String
    public var name: String
    public var primaryDomain: String
    /// The instance's default organization (GetGeneralSettings names it; `defaultQuery` finds it).
    public var isDefault = false
    public var state: State = .active
    /// This organization's settings, each object over the instance's.
    public var settings = ZitadelSettingsSeed()

    /// ZITADEL's `OrganizationState` names.
    public enum State: String, Sendable, CaseIterable {
        case active = "ORGANIZATION_STATE_ACTIVE"
        case inactive = "ORGANIZATION_STATE_INACTIVE"
    }

    public init(id: String, name: String, primaryDomain: String) {
        self.id = id
        self.name = name
        self.primaryDomain = primaryDomain
    }
}

/// An OIDC application: where its users may be sent back to, and its login UI.
public struct ZitadelOIDCClient: Sendable, Equatable {
    public var clientId: String
    public var redirectUris: [String]
    /// The login UI's base URL: `/oauth/v2/authorize` redirects to `<loginUrl>/login?authRequest=<id>`.
    public var loginUrl: String

    public init(clientId: String, redirectUris: [String], loginUrl: String) {
        self.clientId = clientId
        self.redirectUris = redirectUris
        self.loginUrl = loginUrl
    }
}

/// An OIDC auth request as ZITADEL's `AuthRequest` message has it, plus the app's `state`.
public struct ZitadelAuthRequestSeed: Sendable, Equatable {
    /// `V2_` and digits, as ZITADEL issues them.
    public var id: String
    public var clientId: String
    public var redirectUri: String
    public var scope: [String] = []
    public var state: String?
    /// OIDC prompt values: `none`, `login`, `consent`, `select_account`, `create`.
    public var prompt: [String] = []
    public var loginHint: String?
    public var uiLocales: [String] = []
    public var maxAgeSeconds: Int?
    public var hintUserId: String?
    public var creationDate: SeedTimestamp?

    public init(id: String, clientId: String, redirectUri: String) {
        self.id = id
        self.clientId = clientId
        self.redirectUri = redirectUri
    }

    /// The OIDC prompt values ZITADEL's `Prompt` enum has.
    public static let promptValues = ["none", "login", "consent", "select_account", "create"]

    /// A new id as ZITADEL issues them: `V2_` and 18 digits.
    public static func newId(using random: inout ScenarioRandom) -> String {
        "V2_" + random.string(count: 18, from: RandomText.digits)
    }

    /// Whether `id` is `V2_` followed by one or more digits.
    public static func isValidId(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        return bytes.count > 3 && bytes.count <= 200 && id.hasPrefix("V2_")
            && bytes[3...].allSatisfy { $0 >= 48 && $0 <= 57 }
    }
}

/// A `zitadel.users` entry: who a user check finds, and what each other check accepts.
public struct ZitadelUser: Sendable, Equatable {
    public var userId: String
    public var loginName: String
    public var displayName = ""
    public var organizationId = ""
    public var password: String?
    /// Base32 (RFC 4648) TOTP secret; codes are RFC 6238, SHA-1, 6 digits, 30 s.
    public var totpSecret: String?
    /// Accepted by the otpSms / otpEmail checks when the session requested no challenge.
    public var otpCode: String?
    public var recoveryCodes: [String] = []
    public var passkeyIds: [String] = []
    public var idpIntents: [IDPIntent] = []
    public var locked = false
    /// Consecutive wrong passwords that lock the user; nil never locks.
    public var lockoutAfter: Int?
    /// The state the user RPCs report; `inactive` and `locked` users fail a user check.
    public var state: State = .active
    /// ZITADEL's user name; the login name when not seeded.
    public var username: String?
    public var email: String?
    public var emailVerified = false
    public var phone: String?
    public var phoneVerified = false
    public var givenName = ""
    public var familyName = ""
    public var preferredLanguage = ""
    /// The user has SMS / email one-time passwords as authentication methods.
    public var otpSms = false
    public var otpEmail = false
    public var passwordChangeRequired = false

    /// ZITADEL's `UserState` names.
    public enum State: String, Sendable, CaseIterable {
        case active = "USER_STATE_ACTIVE"
        case inactive = "USER_STATE_INACTIVE"
        case locked = "USER_STATE_LOCKED"
        case initial = "USER_STATE_INITIAL"
    }

    public struct IDPIntent: Sendable, Equatable {
        public var id: String
        public var token: String

        public init(id: String, token: String) {
            self.id = id
            self.token = token
        }
    }

    public init(userId: String, loginName: String) {
        self.userId = userId
        self.loginName = loginName
    }
}

/// A bearer token the mock accepts, and who it stands for.
public struct ZitadelToken: Sendable, Equatable {
    public var token: String
    public var userId: String
    public var permissions: [String] {
        didSet { canReadAnySession = permissions.contains("session.read") }
    }

    /// Kept with `permissions`, as every session read of another user's session asks.
    public private(set) var canReadAnySession: Bool

    public init(token: String, userId: String, permissions: [String]) {
        self.token = token
        self.userId = userId
        self.permissions = permissions
        canReadAnySession = permissions.contains("session.read")
    }
}

/// A `zitadel.sessions` entry, held packed (`PackedZitadelSession`: the session, then its token,
/// creator and checked user): one allocation per entry of a large seed, which the store's record
/// keeps as it is. The properties unpack and repack; only the control API changes an entry.
public struct ZitadelSessionSeed: Sendable {
    package private(set) var packed: [UInt8]
    package private(set) var ownersStart: Int
    /// Some time of the session is `now`-relative, so a store resolves it against its copy's clock.
    package private(set) var hasRelativeTimes: Bool
    /// `session.id`, made once: the duplicate check and the store's record use this string.
    package private(set) var id: String

    public init(sessionToken: String?, creatorUserId: String?, session: ZitadelSession) {
        (packed, ownersStart) = PackedZitadelSession.pack(
            session,
            owners: [sessionToken, creatorUserId, session.checkedUserId]
        )
        hasRelativeTimes = session.hasRelativeTimes
        id = PackedZitadelSession.id(in: packed)
    }

    /// Bytes `PackedZitadelSession` wrote, owners included, and the id packed first in them.
    package init(packed: [UInt8], ownersStart: Int, hasRelativeTimes: Bool, id: String) {
        self.packed = packed
        self.ownersStart = ownersStart
        self.hasRelativeTimes = hasRelativeTimes
        self.id = id
    }

    /// The owners packed behind the session, in this order.
    package enum Owner: Int { case sessionToken, creatorUserId, checkedUserId }

    package func owner(_ owner: Owner) -> String? {
        PackedZitadelSession.owner(owner.rawValue, in: packed, from: ownersStart)
    }

    /// The token ZITADEL returned when the session was created; nil: no token matches.
    public var sessionToken: String? {
        get { owner(.sessionToken) }
        set { self = ZitadelSessionSeed(sessionToken: newValue, creatorUserId: creatorUserId, session: session) }
    }

    public var creatorUserId: String? {
        get { owner(.creatorUserId) }
        set { self = ZitadelSessionSeed(sessionToken: sessionToken, creatorUserId: newValue, session: session) }
    }

    public var session: ZitadelSession {
        get { PackedZitadelSession.unpack(packed) }
        set { self = ZitadelSessionSeed(sessionToken: sessionToken, creatorUserId: creatorUserId, session: newValue) }
    }
}

/// The factors of `zitadel.session.v2.Factors`, in proto field order: the one list that seed
/// parsing, the REST JSON and protobuf encoders and the store's change detection go by.
public enum Factor: String, CaseIterable, Sendable {
    case user, password, webAuthN, intent, totp, otpSms, otpEmail, recoveryCode

    /// The JSON name (`rawValue`) is the proto field's lowerCamelCase; this is the proto name itself
    /// (`web_auth_n`), which seeds accept as well.
    public var protoName: String {
        var name = ""
        for character in rawValue {
            if character.isUppercase { name += "_" + character.lowercased() } else { name.append(character) }
        }
        return name
    }

    /// Everything but `user` and `webAuthN` holds nothing but its verification time.
    public var holdsOnlyATime: Bool { self != .user && self != .webAuthN }
}

/// `zitadel.session.v2.Session`. Optional means "unset": an unset field is never sent.
public struct ZitadelSession: Sendable, Equatable {
    public var id: String = ""
    public var creationDate: SeedTimestamp?
    public var changeDate: SeedTimestamp?
    public var sequence: UInt64 = 0
    public var factors = Factors()
    /// Map keys to raw bytes (sent as standard base64).
    public var metadata: [String: [UInt8]] = [:]
    public var userAgent: UserAgent?
    public var expirationDate: SeedTimestamp?

    public init() {}

    /// The verified factors of a session. `user` and `webAuthN` carry fields of their own; the
    /// others only a verification time (a new `Factor` case does not compile until it has a field).
    public struct Factors: Sendable, Equatable {
        public var user: UserFactor?
        public var webAuthN: WebAuthNFactor?
        // One stored optional per time-only factor, not a dictionary: a dictionary's storage is
        // a heap allocation (and a hash per access) for every session of a large seed.
        private var password: VerifiedFactor?
        private var intent: VerifiedFactor?
        private var totp: VerifiedFactor?
        private var otpSms: VerifiedFactor?
        private var otpEmail: VerifiedFactor?
        private var recoveryCode: VerifiedFactor?

        public init() {}

        /// A factor that holds only a verification time (not `user` or `webAuthN`).
        public subscript(_ factor: Factor) -> VerifiedFactor? {
            get {
                switch factor {
                case .password: password
                case .intent: intent
                case .totp: totp
                case .otpSms: otpSms
                case .otpEmail: otpEmail
                case .recoveryCode: recoveryCode
                case .user, .webAuthN: nil
                }
            }
            set {
                switch factor {
                case .password: password = newValue
                case .intent: intent = newValue
                case .totp: totp = newValue
                case .otpSms: otpSms = newValue
                case .otpEmail: otpEmail = newValue
                case .recoveryCode: recoveryCode = newValue
                case .user, .webAuthN: preconditionFailure("\(factor) has fields of its own")
                }
            }
        }

        public func contains(_ factor: Factor) -> Bool {
            switch factor {
            case .user: user != nil
            case .webAuthN: webAuthN != nil
            default: self[factor] != nil
            }
        }

        /// The factors present, in proto field order.
        public var present: [Factor] { Factor.allCases.filter(contains) }

        public var isEmpty: Bool { !Factor.allCases.contains(where: contains) }

        public func verifiedAt(_ factor: Factor) -> SeedTimestamp? {
            switch factor {
            case .user: user?.verifiedAt
            case .webAuthN: webAuthN?.verifiedAt
            default: self[factor]?.verifiedAt
            }
        }

        /// Every factor's verification time passed through `transform`.
        public mutating func mapVerifiedAt(_ transform: (SeedTimestamp) -> SeedTimestamp) {
            if let time = user?.verifiedAt { user?.verifiedAt = transform(time) }
            if let time = webAuthN?.verifiedAt { webAuthN?.verifiedAt = transform(time) }
            for factor in Factor.allCases where factor.holdsOnlyATime {
                if let time = self[factor]?.verifiedAt { self[factor] = VerifiedFactor(verifiedAt: transform(time)) }
            }
        }
    }

    public struct UserFactor: Sendable, Equatable {
        public var verifiedAt: SeedTimestamp?
        public var id: String = ""
        public var loginName: String = ""
        public var displayName: String = ""
        public var organizationId: String = ""

        public init(
            verifiedAt: SeedTimestamp? = nil,
            id: String = "",
            loginName: String = "",
            displayName: String = "",
            organizationId: String = ""
        ) {
            self.verifiedAt = verifiedAt
            self.id = id
            self.loginName = loginName
            self.displayName = displayName
            self.organizationId = organizationId
        }
    }

    /// A factor that holds only a verification time.
    public struct VerifiedFactor: Sendable, Equatable {
        public var verifiedAt: SeedTimestamp?

        public init(verifiedAt: SeedTimestamp?) { self.verifiedAt = verifiedAt }
    }

    public struct WebAuthNFactor: Sendable, Equatable {
        public var verifiedAt: SeedTimestamp?
        public var userVerified = false

        public init(verifiedAt: SeedTimestamp?, userVerified: Bool) {
            self.verifiedAt = verifiedAt
            self.userVerified = userVerified
        }
    }

    public struct UserAgent: Sendable, Equatable {
        public var fingerprintId: String?
        public var ip: String?
        public var description: String?
        public var header: [String: [String]] = [:]

        public init(
            fingerprintId: String? = nil,
            ip: String? = nil,
            description: String? = nil,
            header: [String: [String]] = [:]
        ) {
            self.fingerprintId = fingerprintId
            self.ip = ip
            self.description = description
            self.header = header
        }

        public var isEmpty: Bool { fingerprintId == nil && ip == nil && description == nil && header.isEmpty }
    }

    /// The user checked in this session, if any (for the "own session" permission rule).
    public var checkedUserId: String? {
        guard let id = factors.user?.id, !id.isEmpty else { return nil }
        return id
    }

    /// Some timestamp is `now`-relative, so the session reads differently after each load or reset.
    public var hasRelativeTimes: Bool {
        func relative(_ time: SeedTimestamp?) -> Bool {
            if case .relative? = time { return true } else { return false }
        }
        return relative(creationDate) || relative(changeDate) || relative(expirationDate)
            || Factor.allCases.contains { relative(factors.verifiedAt($0)) }
    }

    /// Every relative timestamp turned absolute against `now`.
    public func resolved(now: Int64) -> ZitadelSession {
        guard hasRelativeTimes else { return self }
        var copy = self
        copy.creationDate = creationDate?.resolved(now: now)
        copy.changeDate = changeDate?.resolved(now: now)
        copy.expirationDate = expirationDate?.resolved(now: now)
        copy.factors.mapVerifiedAt { $0.resolved(now: now) }
        return copy
    }
}

/// The mocked APIs, one per vendor; fault rules and error shapes are chosen by it.
public enum MockedAPI: String, Sendable, CaseIterable {
    case walletKit = "walletkit"
    case zitadel = "zitadel"

    /// The error statuses the API's endpoints document: what `X-Mock-Status` and a fault `status`
    /// without `body` may name (docs/testing.md#faults-and-test-headers).
    public var documentedErrorStatuses: [Int] {
        switch self {
        case .walletKit: return [400, 401, 403, 500]
        case .zitadel: return [400, 401, 403, 404, 500]
        }
    }
}

/// A seed `faults` entry: when `match` holds, answer with `status` (or `body`), wait `delayMs`,
/// or `drop` the connection; `times` limits how often it fires.
public struct FaultRule: Sendable {
    public struct Match: Sendable {
        public var api: MockedAPI?
        public var path: String?
        public var method: String?
        public var query: [(name: String, value: String)] = []
        public var headers: [(name: String, value: String)] = []
        public var code: String?
        public var sessionId: String?
        /// A ZITADEL RPC by method name (`GetSession`), on every transport (REST, Connect, gRPC-Web).
        public var rpc: String?
        /// The login name a CreateSession / SetSession user check names (case-insensitive).
        public var loginName: String?

        /// False when the rule can never match a request to `api` (see `MockRequestPipeline.matches`).
        package func canMatch(_ api: MockedAPI) -> Bool {
            if let wanted = self.api, wanted != api { return false }
            if code != nil, api != .walletKit { return false }
            if sessionId != nil || rpc != nil || loginName != nil, api != .zitadel { return false }
            return true
        }
    }
    public var match = Match()
    public var status: Int?
    public var body: JSONValue?
    public var delayMs: Int?
    public var drop = false
    public var times: Int?
}

/// The names a seed may use that the API modules declare (they sit above the seed layer, so the
/// app hands their declarations down): the ZITADEL RPCs a fault rule's `match.rpc` may name.
public struct SeedVocabulary: Sendable {
    public var rpcs: [String]
    /// Why a `zitadel.settings` value under a key is not that settings object's wire JSON (the
    /// JSON path below the value, and the reason), or nil.
    public var settingsProblem: SettingsCheck

    public typealias SettingsCheck = @Sendable (_ key: String, _ value: JSONValue) -> (suffix: String, reason: String)?

    public init(rpcs: [String], settingsProblem: @escaping SettingsCheck = { _, _ in nil }) {
        self.rpcs = rpcs
        self.settingsProblem = settingsProblem
    }
}
