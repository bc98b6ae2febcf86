/// ZITADEL sessions and accepted bearer tokens of one scenario copy. Each session's
/// `GetSessionResponse` JSON is encoded when it is stored, so a read copies bytes only.
public struct ZitadelSessionStore: Sendable {
    /// Immutable once stored (a change stores a new one), and a class so that a read on the hot
    /// path costs one retain instead of copying every field of the session.
    public final class Record: Sendable {
        public let sessionToken: String?
        public let creatorUserId: String?
        public let session: ZitadelSession
        /// The user checked in the session (`factors.user.id`), for the "own session" rule.
        public let checkedUserId: String?
        /// `{"session":{…}}`, ready to send.
        public let responseBody: [UInt8]

        init(sessionToken: String?, creatorUserId: String?, session: ZitadelSession, responseBody: [UInt8]) {
            self.sessionToken = sessionToken
            self.creatorUserId = creatorUserId
            self.session = session
            self.checkedUserId = session.checkedUserId
            self.responseBody = responseBody
        }
    }

    private(set) var tokens: [String: ZitadelToken] = [:]
    private(set) var records: [String: Record] = [:]
    private(set) var order: [String] = []

    /// Relative timestamps in the seed are resolved against `now` (µs since the epoch).
    public init(seed: ZitadelSeed, now: Int64) {
        for token in seed.tokens { tokens[token.token] = token }
        records.reserveCapacity(seed.sessions.count)
        for entry in seed.sessions { put(entry, now: now) }
    }

    public func token(_ value: String) -> ZitadelToken? { tokens[value] }

    public func record(id: String) -> Record? { records[id] }

    public var all: [Record] { order.compactMap { records[$0] } }

    public mutating func put(_ seed: ZitadelSessionSeed, now: Int64) {
        let session = seed.session.resolved(now: now)
        let record = Record(
            sessionToken: seed.sessionToken, creatorUserId: seed.creatorUserId, session: session,
            responseBody: ZitadelJSON.getSessionResponse(session))
        if records.updateValue(record, forKey: session.id) == nil { order.append(session.id) }
    }

    @discardableResult
    public mutating func remove(id: String) -> Bool {
        guard records.removeValue(forKey: id) != nil else { return false }
        order.removeAll { $0 == id }
        return true
    }

    public mutating func removeAll() {
        records.removeAll()
        order.removeAll()
    }

    public var count: Int { records.count }
}
