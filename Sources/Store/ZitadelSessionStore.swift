import Platform
import Seeds

/// ZITADEL sessions and accepted bearer tokens of one scenario copy. A session's wire forms are
/// made by the API module on first use and kept with the record (`OnceBytes`), so a read after
/// the first copies bytes only and a seed of 100,000 sessions loads without encoding any.
public struct ZitadelSessionStore: Sendable {
    /// Immutable once stored (a change stores a new one), and a class so that a read on the hot
    /// path costs one retain.
    public final class Record: Sendable {
        public let id: String
        /// The session itself, packed (see `PackedZitadelSession`); `session` unpacks it. Behind it
        /// the record's session token, creator and checked user, so that they cost no string each.
        private let packed: [UInt8]
        private let ownersStart: UInt32
        /// The session's GetSession response as REST/Connect JSON, encoded on first read.
        public let body = OnceBytes()
        /// The same response as binary protobuf (Connect proto, gRPC-Web), encoded on first read.
        public let protoBody = OnceBytes()
        /// The REST answer as the HTTP engine sends it, made by the API module on first read.
        public let engineResponse = OnceObject()

        public var session: ZitadelSession { PackedZitadelSession.unpack(packed) }

        public convenience init(sessionToken: String?, creatorUserId: String?, session: ZitadelSession) {
            self.init(
                keeping: ZitadelSessionSeed(sessionToken: sessionToken, creatorUserId: creatorUserId, session: session)
            )
        }

        /// A seed entry's record, its relative times resolved against `now`.
        package convenience init(seed: ZitadelSessionSeed, now: Int64) {
            guard seed.hasRelativeTimes else {
                self.init(keeping: seed)
                return
            }
            self.init(
                keeping: ZitadelSessionSeed(
                    sessionToken: seed.sessionToken,
                    creatorUserId: seed.creatorUserId,
                    session: seed.session.resolved(now: now)
                )
            )
        }

        /// Keeps the entry's packed bytes as they are: an array of its own, which the parsed seed
        /// does not outlive.
        private init(keeping seed: ZitadelSessionSeed) {
            // Made with the entry's packed bytes, so it is as much the record's own as they are
            // (see `String.ownCopy`).
            id = seed.id
            packed = seed.packed
            ownersStart = UInt32(seed.ownersStart)
        }

        private typealias Owner = ZitadelSessionSeed.Owner

        private func owner(_ owner: Owner) -> String? {
            PackedZitadelSession.owner(owner.rawValue, in: packed, from: Int(ownersStart))
        }

        private func owner(_ owner: Owner, is text: String) -> Bool {
            PackedZitadelSession.owner(owner.rawValue, in: packed, from: Int(ownersStart), equals: text)
        }

        public var sessionToken: String? { owner(.sessionToken) }
        public var creatorUserId: String? { owner(.creatorUserId) }
        /// The user checked in the session (`factors.user.id`), for the "own session" rule.
        public var checkedUserId: String? { owner(.checkedUserId) }

        /// `token` is this session's token (compared without decoding it).
        public func hasSessionToken(_ token: String) -> Bool { owner(.sessionToken, is: token) }

        public func isCreated(by userId: String) -> Bool { owner(.creatorUserId, is: userId) }
        public func isChecked(for userId: String) -> Bool { owner(.checkedUserId, is: userId) }

        /// `userId` created this session or is the user checked in it: ZITADEL's "own session".
        public func belongs(to userId: String) -> Bool { isCreated(by: userId) || isChecked(for: userId) }
    }

    private(set) var tokens: [String: ZitadelToken] = [:]
    /// The seed's users, shared by every copy (they never change; what a check changes is below).
    private let users: Users
    /// `details.resourceOwner` of changes to sessions without a checked user.
    public let instanceId: String?
    /// What checks and challenges change, per scenario copy (gone on reset).
    public var lifecycle = LifecycleState()
    /// By session id; the seed's records are shared by every copy of the scenario.
    private var records: LayeredRecords<Record>
    /// The OIDC applications, by client id.
    public let oidcClients: [String: ZitadelOIDCClient]
    /// The seeded organizations, in seed order.
    public let organizations: [ZitadelOrganization]
    /// The instance's seeded settings objects (`zitadel.settings`).
    public let settings: ZitadelSettingsSeed
    /// Auth requests by id: the seed's, and what CreateCallback did with them in this copy.
    public var authRequests: [String: ZitadelAuthRequest] = [:]
    /// Seed entries with `now`-relative times: each new copy (load, reset, `NAME@KEY`) stores
    /// them again against its own `now`.
    private let relativeEntries: [ZitadelSessionSeed]
    /// The seed's auth requests, made again for each new copy (their relative creation dates too).
    private let authRequestSeeds: [ZitadelAuthRequestSeed]
    /// Where session tokens, codes, challenges and auth request ids come from.
    public var random: ScenarioRandom

    /// Relative timestamps in the seed are resolved against `now` (µs since the epoch).
    public init(seed: ZitadelSeed, now: Int64, random: ScenarioRandom = .system) {
        self.random = random
        authRequestSeeds = seed.authRequests
        for token in seed.tokens { tokens[token.token] = token }
        users = Users(seed.users)
        instanceId = seed.instanceId
        organizations = seed.organizations
        settings = seed.settings
        oidcClients = Dictionary(seed.oidcClients.map { ($0.clientId, $0) }, uniquingKeysWith: { first, _ in first })
        for request in seed.authRequests {
            authRequests[request.id] = ZitadelAuthRequest(seed: request, now: now)
        }
        // Seeded sessions are packed already; a record takes the bytes and reads its id from them.
        let parts = Parallel.chunks(count: seed.sessions.count) { range in
            seed.sessions[range].map { Record(seed: $0, now: now) }
        }
        records = LayeredRecords(parts.joined().lazy.map { (key: $0.id, value: $0) }, count: seed.sessions.count)
        relativeEntries = seed.sessions.filter(\.hasRelativeTimes)
    }

    public func token(_ value: String) -> ZitadelToken? { tokens[value] }

    public func record(id: String) -> Record? { records[id] }

    public func user(id: String) -> ZitadelUser? { users.byId[id] }

    /// Every seeded user, in seed order.
    public var allUsers: [ZitadelUser] { users.all }

    /// Login names match case-insensitively, as ZITADEL's user check does.
    public func user(loginName: String) -> ZitadelUser? {
        users.byLoginName[loginName.lowercased()].flatMap { users.byId[$0] }
    }

    /// Stores a record made by the session lifecycle (CreateSession, SetSession).
    public mutating func put(_ record: Record) {
        records.set(record, for: record.id)
    }

    public var all: [Record] { records.all }

    public mutating func put(_ seed: ZitadelSessionSeed, now: Int64) {
        let record = Record(seed: seed, now: now)
        records.set(record, for: record.id)
    }

    @discardableResult
    public mutating func remove(id: String) -> Bool {
        records.remove(id)
    }

    public mutating func removeAll() {
        records.removeAll()
    }

    /// Back to the seed's sessions, with relative times resolved against the new `now`.
    public mutating func revert(now: Int64) {
        records.revert()
        lifecycle = LifecycleState()
        for entry in relativeEntries { put(entry, now: now) }
        authRequests = [:]
        for request in authRequestSeeds { authRequests[request.id] = ZitadelAuthRequest(seed: request, now: now) }
    }

    public var count: Int { records.count }

    /// A new auth request id (`V2_` and 18 digits) that no auth request of this copy has.
    public mutating func newAuthRequestId() -> String {
        var id: String
        repeat { id = ZitadelAuthRequestSeed.newId(using: &random) } while authRequests[id] != nil
        return id
    }
}

extension ZitadelSessionStore {
    private final class Users: Sendable {
        /// In seed order.
        let all: [ZitadelUser]
        let byId: [String: ZitadelUser]
        let byLoginName: [String: String]

        init(_ users: [ZitadelUser]) {
            all = users
            var byId: [String: ZitadelUser] = [:]
            var byLoginName: [String: String] = [:]
            for user in users {
                byId[user.userId] = user
                byLoginName[user.loginName.lowercased()] = user.userId
            }
            self.byId = byId
            self.byLoginName = byLoginName
        }
    }

    /// The state checks and challenges leave behind in one scenario copy.
    public struct LifecycleState: Sendable {
        /// Consecutive wrong passwords, by user id (a right one resets it).
        public var passwordFailures: [String: Int] = [:]
        /// Users locked by `lockoutAfter` in this copy.
        public var lockedUserIds: Set<String> = []
        /// "userId\u{0}code" of every recovery code used.
        public var usedRecoveryCodes: Set<String> = []
        /// Challenges issued, by session id.
        public var challenges: [String: IssuedChallenges] = [:]
        /// The last session id handed out (ids count up from a per-copy start).
        public var lastSessionNumber: UInt64 = 0

        public init() {}
    }

    /// The challenges a session was given, which its later checks must answer.
    public struct IssuedChallenges: Sendable, Equatable {
        public var otpSms: String?
        public var otpEmail: String?
        public var webAuthN: String?
        public var webAuthNUserVerification = false

        public init() {}
    }
}

/// An OIDC auth request in a scenario copy: as seeded or created, and how a login UI ended it.
public struct ZitadelAuthRequest: Sendable, Equatable {
    public var seed: ZitadelAuthRequestSeed
    public var creationMicros: Int64
    /// Set once CreateCallback ended the request; a second call is refused.
    public var outcome: Outcome?

    public enum Outcome: Sendable, Equatable {
        /// Logged in with this session, whose checked user is `userId`.
        case session(sessionId: String, userId: String, callbackUrl: String)
        /// Ended with an OAuth error (`access_denied`, …).
        case error(reason: String, callbackUrl: String)

        public var callbackUrl: String {
            switch self {
            case .session(_, _, let url), .error(_, let url): return url
            }
        }
    }

    /// Created at the seed's `creationDate` (relative ones against `now`), else at `now`.
    public init(seed: ZitadelAuthRequestSeed, now: Int64) {
        self.seed = seed
        creationMicros = seed.creationDate.flatMap { $0.micros(now: now) } ?? now
    }
}
