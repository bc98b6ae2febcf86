import Synchronization

/// A seed made ready to serve, once: its stores built (every session body encoded) and its fault
/// rules. Immutable, so the live scenario, each reset and each `NAME@KEY` copy start from it
/// without building anything again, and the parsed seed itself need not be kept.
public final class ScenarioBase: Sendable {
    let challenges: SessionChallengeStore
    let sessions: ZitadelSessionStore
    let faults: [FaultRule]

    public init(seed: SeedDocument) {
        challenges = SessionChallengeStore(seed: seed.walletKit)
        sessions = ZitadelSessionStore(seed: seed.zitadel, now: WallClock.nowMicros())
        faults = seed.faults
    }
}

/// The live state of one scenario copy: its stores and what its fault rules have fired. Many MHD
/// worker threads use it at once, so everything mutable sits behind one lock; each request holds
/// it for one dictionary lookup and update.
public final class ScenarioState: Sendable {
    public let name: String
    let base: ScenarioBase
    /// Monotonic time of load/reset: `after` timelines count from here.
    let loadedAtNanos: UInt64
    private let contents: Mutex<Contents>

    struct Contents: Sendable {
        var challenges: SessionChallengeStore
        var sessions: ZitadelSessionStore
        /// How often each seed fault rule has fired (for `times`).
        var faultFires: [Int]
    }

    public convenience init(name: String, seed: SeedDocument) {
        self.init(name: name, base: ScenarioBase(seed: seed))
    }

    /// A fresh copy of `base` (the seed's records are shared, not copied).
    public init(name: String, base: ScenarioBase) {
        self.name = name
        self.base = base
        loadedAtNanos = WallClock.monotonicNanos()
        var sessions = base.sessions
        sessions.revert(now: WallClock.nowMicros())  // `now`-relative times count from this copy
        contents = Mutex(Contents(
            challenges: base.challenges,
            sessions: sessions,
            faultFires: Array(repeating: 0, count: base.faults.count)))
    }

    /// Microseconds since this copy was loaded or reset.
    var elapsedMicros: Int64 { Int64((WallClock.monotonicNanos() &- loadedAtNanos) / 1000) }

    public func withChallenges<R>(_ body: (inout SessionChallengeStore) throws -> R) rethrows -> R {
        try contents.withLock { try body(&$0.challenges) }
    }

    public func withSessions<R>(_ body: (inout ZitadelSessionStore) throws -> R) rethrows -> R {
        try contents.withLock { try body(&$0.sessions) }
    }

    /// The first seed fault rule that matches and still has firings left; counts the firing.
    func takeFault(where matches: (FaultRule) -> Bool) -> FaultRule? {
        guard !base.faults.isEmpty else { return nil }
        for (index, rule) in base.faults.enumerated() where matches(rule) {
            let fires = contents.withLock { contents -> Bool in
                if let times = rule.times, contents.faultFires[index] >= times { return false }
                contents.faultFires[index] += 1
                return true
            }
            if fires { return rule }
        }
        return nil
    }
}
