import Synchronization

/// The live state of one scenario copy: its stores and what its fault rules have fired. Many MHD
/// worker threads use it at once, so everything mutable sits behind one lock; each request holds
/// it for one dictionary lookup and update.
public final class ScenarioState: Sendable {
    public let name: String
    public let seed: SeedDocument
    /// Monotonic time of load/reset: `after` timelines count from here.
    let loadedAtNanos: UInt64
    private let contents: Mutex<Contents>

    struct Contents: Sendable {
        var challenges: SessionChallengeStore
        var sessions: ZitadelSessionStore
        /// How often each seed fault rule has fired (for `times`).
        var faultFires: [Int]
    }

    public init(name: String, seed: SeedDocument) {
        self.name = name
        self.seed = seed
        loadedAtNanos = WallClock.monotonicNanos()
        contents = Mutex(Contents(
            challenges: SessionChallengeStore(seed: seed.walletKit),
            sessions: ZitadelSessionStore(seed: seed.zitadel, now: WallClock.nowMicros()),
            faultFires: Array(repeating: 0, count: seed.faults.count)))
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
        guard !seed.faults.isEmpty else { return nil }
        for (index, rule) in seed.faults.enumerated() where matches(rule) {
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
