import Seeds

/// WalletKit session challenges of one scenario copy, by code (O(1) lookups). A value type:
/// `ScenarioState` owns it behind a lock.
public struct SessionChallengeStore: Sendable {
    package struct Record: Sendable {
        var project: String?
        var challenge: SessionChallenge
        var timeline: [TimelineStep]
        var fired: [Bool]
        /// Polls answered with 200 so far; `afterPolls` steps count these.
        var answeredPolls = 0

        init(_ seed: SessionChallengeSeed) {
            project = seed.project?.ownCopy
            challenge = SessionChallenge(id: seed.challenge.id.ownCopy, code: seed.challenge.code.ownCopy,
                                         expired: seed.challenge.expired, completed: seed.challenge.completed)
            timeline = seed.timeline
            fired = Array(repeating: false, count: seed.timeline.count)
        }
    }

    public enum Lookup: Sendable, Equatable {
        case notFound
        case otherProject
        case found(SessionChallenge)
    }

    /// nil: any non-empty project id is accepted.
    public let projects: Set<String>?
    /// By code; the seed's records are shared by every copy of the scenario.
    private var records: LayeredRecords<Record>
    /// The challenge last answered and its encoded body: clients poll one challenge over and
    /// over, and its body only changes when the challenge does.
    private var lastEncoded: (challenge: SessionChallenge, body: [UInt8])?

    /// `encode(challenge)`, reusing the previous body when the challenge is the same.
    package mutating func encoded(_ challenge: SessionChallenge, _ encode: (SessionChallenge) -> [UInt8]) -> [UInt8] {
        if let lastEncoded, lastEncoded.challenge == challenge { return lastEncoded.body }
        let body = encode(challenge)
        lastEncoded = (challenge, body)
        return body
    }

    public init(seed: WalletKitSeed) {
        projects = seed.projects.map(Set.init)
        var byCode: [String: Record] = [:]
        byCode.reserveCapacity(seed.sessionChallenges.count)
        var order: [String] = []
        order.reserveCapacity(seed.sessionChallenges.count)
        for entry in seed.sessionChallenges {
            let record = Record(entry)
            if byCode.updateValue(record, forKey: record.challenge.code) == nil { order.append(record.challenge.code) }
        }
        records = LayeredRecords(values: byCode, order: order)
    }

    public func acceptsProject(_ project: String) -> Bool {
        projects?.contains(project) ?? true
    }

    /// One poll by a client: fires due timeline steps, answers the challenge as it is now, and
    /// counts the poll when it is answered (so poll N+1 sees what `afterPolls: N` sets).
    public mutating func poll(code: String, project: String, elapsedMicros: Int64) -> Lookup {
        guard var record = records[code] else { return .notFound }
        if let owner = record.project, owner != project { return .otherProject }
        // Without a timeline a poll changes nothing: nothing to write (the common case, and it
        // keeps this copy's changes empty however many challenges are polled).
        if record.timeline.isEmpty { return .found(record.challenge) }
        for (index, step) in record.timeline.enumerated() where !record.fired[index] {
            let due: Bool
            switch step.trigger {
            case .afterPolls(let polls): due = record.answeredPolls >= polls
            case .after(let duration): due = elapsedMicros >= duration.micros
            }
            guard due else { continue }
            record.fired[index] = true
            if let expired = step.setExpired { record.challenge.expired = expired }
            if let completed = step.setCompleted { record.challenge.completed = completed }
        }
        record.answeredPolls += 1
        records.replace(record, for: code)
        return .found(record.challenge)
    }

    public func challenge(code: String) -> (project: String?, challenge: SessionChallenge)? {
        records[code].map { ($0.project, $0.challenge) }
    }

    public var all: [(project: String?, challenge: SessionChallenge)] {
        records.all.map { ($0.project, $0.challenge) }
    }

    /// Adds or replaces (by code) one challenge; its poll count and timeline start over.
    public mutating func put(_ seed: SessionChallengeSeed) {
        records.set(Record(seed), for: seed.challenge.code)
    }

    /// Changes the wire fields (and owner) of a challenge in place, keeping its poll count and timeline.
    public mutating func update(code: String, to challenge: SessionChallenge, project: String?) -> Bool {
        guard var record = records[code], challenge.code == code else { return false }
        record.challenge = challenge
        record.project = project
        records.set(record, for: code)
        return true
    }

    @discardableResult
    public mutating func remove(code: String) -> Bool {
        records.remove(code)
    }

    public mutating func removeAll() {
        records.removeAll()
    }

    /// Back to the seed's challenges, poll counts and timelines included.
    public mutating func revert() {
        records.revert()
    }

    public var count: Int { records.count }
}
