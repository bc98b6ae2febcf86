/// ZITADEL sessions and accepted bearer tokens of one scenario copy. Each session's
/// `GetSessionResponse` JSON is encoded when it is stored, so a read copies bytes only; the
/// session itself is not kept beside it (it is read back from those bytes when needed), which
/// halves the memory of a large seed.
public struct ZitadelSessionStore: Sendable {
    /// Immutable once stored (a change stores a new one), and a class so that a read on the hot
    /// path costs one retain.
    public final class Record: Sendable {
        public let sessionToken: String?
        public let creatorUserId: String?
        /// The user checked in the session (`factors.user.id`), for the "own session" rule.
        public let checkedUserId: String?
        /// `{"session":{…}}`, ready to send.
        public let responseBody: [UInt8]

        init(sessionToken: String?, creatorUserId: String?, session: ZitadelSession) {
            // Own copies, not the parsed seed's strings: a record outlives the parsed seed, and
            // sharing its strings would pin the seed's memory (see `String.ownCopy`).
            self.sessionToken = sessionToken?.ownCopy
            self.creatorUserId = creatorUserId?.ownCopy
            self.checkedUserId = session.checkedUserId?.ownCopy
            self.responseBody = ZitadelJSON.getSessionResponse(session)
        }

        /// The session as stored, read back from the response body (for the protobuf protocols
        /// and the store API, not the JSON hot path). The body was encoded from a valid session,
        /// so reading it back does not fail (tests check the round trip); were it ever to, the
        /// server answers with an empty session rather than trap.
        public var session: ZitadelSession {
            guard let entry = try? SeedParser.parseSessionEntry(bytes: responseBody) else {
                assertionFailure("a stored session body does not read back")
                return ZitadelSession()
            }
            return entry.session
        }
    }

    private(set) var tokens: [String: ZitadelToken] = [:]
    /// By session id; the seed's records are shared by every copy of the scenario.
    private var records: LayeredRecords<Record>
    /// Seed entries with `now`-relative times: each new copy (load, reset, `NAME@KEY`) stores
    /// them again against its own `now`.
    private let relativeEntries: [ZitadelSessionSeed]

    /// Relative timestamps in the seed are resolved against `now` (µs since the epoch).
    public init(seed: ZitadelSeed, now: Int64) {
        for token in seed.tokens { tokens[token.token] = token }
        var byId: [String: Record] = [:]
        byId.reserveCapacity(seed.sessions.count)
        var order: [String] = []
        order.reserveCapacity(seed.sessions.count)
        // Encoding every body is most of the work: done on every core for a large seed.
        let parts = Parallel.chunks(count: seed.sessions.count) { range in
            seed.sessions[range].map { entry in
                let session = entry.session.resolved(now: now)
                return (id: session.id.ownCopy, record: Record(sessionToken: entry.sessionToken, creatorUserId: entry.creatorUserId, session: session))
            }
        }
        for part in parts {
            for (id, record) in part where byId.updateValue(record, forKey: id) == nil { order.append(id) }
        }
        records = LayeredRecords(values: byId, order: order)
        relativeEntries = seed.sessions.filter(\.session.hasRelativeTimes)
    }

    public func token(_ value: String) -> ZitadelToken? { tokens[value] }

    public func record(id: String) -> Record? { records[id] }

    public var all: [Record] { records.all }

    public mutating func put(_ seed: ZitadelSessionSeed, now: Int64) {
        let session = seed.session.resolved(now: now)
        records.set(Record(sessionToken: seed.sessionToken, creatorUserId: seed.creatorUserId, session: session), for: session.id)
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
        for entry in relativeEntries { put(entry, now: now) }
    }

    public var count: Int { records.count }
}
