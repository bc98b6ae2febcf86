import Platform
import Seeds

/// WalletKit session challenges of one scenario copy, by code (O(1) lookups). A value type:
/// `ScenarioState` owns it behind a lock.
public struct SessionChallengeStore: Sendable {
    package struct Record: Sendable {
        var project: String?
        var challenge: SessionChallenge
        var timeline: [TimelineStep]
        /// What polls and the login flow change about the challenge, out of line: most seeded
        /// challenges never get any, and held inline it would make every record twice the size.
        private var progressBox: ProgressBox?

        private struct Progress: Sendable {
            var fired: [Bool] = []
            var answeredPolls = 0
            var createdAtMicros: Int64?
            var expiresAtMicros: Int64?
            var userId: String?
            var spent = false
        }

        /// Never changed once made (a change makes a new one), so copies of a record share it safely.
        private final class ProgressBox: Sendable {
            let progress: Progress
            init(_ progress: Progress) { self.progress = progress }
        }

        private var progress: Progress {
            get { progressBox?.progress ?? Progress() }
            set { progressBox = ProgressBox(newValue) }
        }

        /// Which timeline steps have fired.
        var fired: [Bool] {
            get { progress.fired }
            set { progress.fired = newValue }
        }
        /// Polls answered with 200 so far; `afterPolls` steps count these.
        var answeredPolls: Int {
            get { progress.answeredPolls }
            set { progress.answeredPolls = newValue }
        }
        /// Scenario time the challenge was created by a client (nil: seeded); its `after` steps
        /// count from here.
        var createdAtMicros: Int64? {
            get { progress.createdAtMicros }
            set { progress.createdAtMicros = newValue }
        }
        /// Scenario time from which a created challenge reads `expired: true` (`challengeTtl`).
        var expiresAtMicros: Int64? {
            get { progress.expiresAtMicros }
            set { progress.expiresAtMicros = newValue }
        }
        /// Who logs in with it: named by login-with-magic-link or by the approval.
        var userId: String? {
            get { progress.userId }
            set { progress.userId = newValue }
        }
        /// verify-login has turned it into a session; it never logs in again.
        var spent: Bool {
            get { progress.spent }
            set { progress.spent = newValue }
        }

        init(_ seed: SessionChallengeSeed) {
            project = seed.project?.ownCopy
            challenge = SessionChallenge(
                id: seed.challenge.id.ownCopy,
                code: seed.challenge.code.ownCopy,
                expired: seed.challenge.expired,
                completed: seed.challenge.completed
            )
            timeline = seed.timeline
            if !seed.timeline.isEmpty { fired = Array(repeating: false, count: seed.timeline.count) }
        }

        /// Fires the steps due at `elapsedMicros` and the expiry; whether anything changed.
        mutating func advance(elapsedMicros: Int64) -> Bool {
            var changed = false
            if let expiresAtMicros, !challenge.expired, elapsedMicros >= expiresAtMicros {
                challenge.expired = true
                changed = true
            }
            for (index, step) in timeline.enumerated() where !fired[index] {
                let due: Bool
                switch step.trigger {
                case .afterPolls(let polls): due = answeredPolls >= polls
                case .after(let duration): due = elapsedMicros - (createdAtMicros ?? 0) >= duration.micros
                }
                guard due else { continue }
                fired[index] = true
                changed = true
                if let expired = step.setExpired { challenge.expired = expired }
                if let completed = step.setCompleted { challenge.completed = completed }
            }
            return changed
        }
    }

    /// What verify-login finds for a challenge code, in the order it checks: unknown, another
    /// project, already used, expired, not completed (docs/walletkit.md#the-login-flow).
    public enum LoginLookup: Sendable, Equatable {
        case notFound
        case otherProject
        case alreadyUsed
        case expired
        case notCompleted
        /// Spent now; `userId` is the user it names, if any.
        case loggedIn(userId: String?)
    }

    /// What the test's approval (`…/complete`) finds.
    public enum Approval: Sendable, Equatable {
        case notFound
        case expired
        case alreadyUsed
        case completed(project: String?, challenge: SessionChallenge, userId: String?)
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
    /// The challenge last answered and the API's answer for it: clients poll one challenge over
    /// and over, and its answer only changes when the challenge does.
    private var lastAnswer: (challenge: SessionChallenge, answer: AnyObject & Sendable)?

    /// `make(challenge)`, reusing the previous answer when the challenge is the same.
    package mutating func answer(
        for challenge: SessionChallenge,
        _ make: (SessionChallenge) -> AnyObject & Sendable
    ) -> AnyObject & Sendable {
        if let lastAnswer, lastAnswer.challenge == challenge { return lastAnswer.answer }
        let answer = make(challenge)
        lastAnswer = (challenge, answer)
        return answer
    }

    /// Where created challenges' codes and ids come from.
    private var random: ScenarioRandom

    public init(seed: WalletKitSeed, random: ScenarioRandom = .system) {
        self.random = random
        projects = seed.projects.map(Set.init)
        records = LayeredRecords(
            seed.sessionChallenges.lazy.map(Record.init).map { (key: $0.challenge.code, value: $0) },
            count: seed.sessionChallenges.count
        )
    }

    public func acceptsProject(_ project: String) -> Bool {
        projects?.contains(project) ?? true
    }

    /// One poll by a client: fires due timeline steps, answers the challenge as it is now, and
    /// counts the poll when it is answered (so poll N+1 sees what `afterPolls: N` sets).
    public mutating func poll(code: String, project: String, elapsedMicros: Int64) -> Lookup {
        guard var record = records[code] else { return .notFound }
        if let owner = record.project, owner != project { return .otherProject }
        // Without a timeline or expiry a poll changes nothing: nothing to write (the common case,
        // and it keeps this copy's changes empty however many challenges are polled).
        if record.timeline.isEmpty && record.expiresAtMicros == nil { return .found(record.challenge) }
        _ = record.advance(elapsedMicros: elapsedMicros)
        record.answeredPolls += 1
        records.replace(record, for: code)
        return .found(record.challenge)
    }

    /// A new challenge of `project` (and of `userId`, for a magic link): a code `XXXX-XXXX` of
    /// A–Z and 2–9 that no challenge of this copy has, expiring `settings.challengeTtl` from now.
    public mutating func create(
        project: String,
        userId: String?,
        elapsedMicros: Int64,
        settings: WalletKitSettings
    ) -> SessionChallenge {
        var code: String
        repeat {
            code =
                random.string(count: 4, from: Self.codeAlphabet) + "-"
                + random.string(count: 4, from: Self.codeAlphabet)
        } while records[code] != nil
        let challenge = SessionChallenge(
            id: "sc_" + random.string(count: 24, from: RandomText.lowercaseAlphanumerics),
            code: code,
            expired: false,
            completed: false
        )
        var record = Record(
            SessionChallengeSeed(project: project, challenge: challenge, timeline: settings.newChallengeTimeline)
        )
        record.createdAtMicros = elapsedMicros
        record.expiresAtMicros = elapsedMicros + settings.challengeTtl.micros
        record.userId = userId
        records.set(record, for: code)
        return challenge
    }

    /// The alphabet of created challenge codes: A–Z and 2–9 (docs/decisions.md#walletkit-login-flow).
    public static let codeAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ23456789".utf8)

    /// verify-login with a challenge code: checks it in `LoginLookup`'s order and, when it logs in,
    /// spends it in the same step (so two concurrent verifies issue one session).
    public mutating func logIn(code: String, project: String, elapsedMicros: Int64) -> LoginLookup {
        guard var record = records[code] else { return .notFound }
        if let owner = record.project, owner != project { return .otherProject }
        if record.advance(elapsedMicros: elapsedMicros) { records.replace(record, for: code) }
        if record.spent { return .alreadyUsed }
        if record.challenge.expired { return .expired }
        if !record.challenge.completed { return .notCompleted }
        record.spent = true
        records.replace(record, for: code)
        return .loggedIn(userId: record.userId)
    }

    /// The user approved on another device: completed, logging in `userId` (else the user it
    /// was made for).
    public mutating func approve(code: String, userId: String?, elapsedMicros: Int64) -> Approval {
        guard var record = records[code] else { return .notFound }
        _ = record.advance(elapsedMicros: elapsedMicros)
        if record.spent {
            records.replace(record, for: code)
            return .alreadyUsed
        }
        if record.challenge.expired {
            records.replace(record, for: code)
            return .expired
        }
        record.challenge.completed = true
        if let userId { record.userId = userId }
        records.replace(record, for: code)
        return .completed(project: record.project, challenge: record.challenge, userId: record.userId)
    }

    /// Whether verify-login has spent the challenge, and the user it names.
    public func login(code: String) -> (spent: Bool, userId: String?)? {
        records[code].map { ($0.spent, $0.userId) }
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
