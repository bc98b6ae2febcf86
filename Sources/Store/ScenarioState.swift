import Platform
import Seeds
import Synchronization

/// A seed made ready to serve, once: its stores built (every session body encoded) and its fault
/// rules. Immutable, so the live scenario, each reset and each `NAME@KEY` copy start from it
/// without building anything again, and the parsed seed itself need not be kept.
public final class ScenarioBase: Sendable {
    package let challenges: SessionChallengeStore
    package let logins: WalletKitLoginStore
    package let sessions: ZitadelSessionStore
    package let faults: [FaultRule]
    /// Where each copy's clock starts (the seed's `clock`).
    package let clockStart: SeedClock?
    /// Per API, the indices (in seed order) of the rules that can match its requests at all, so a
    /// request neither copies nor tests the other API's rules (and none when the list is empty).
    private let walletKitFaults: [FaultMatcher]
    private let zitadelFaults: [FaultMatcher]
    private let walletKitGate: FaultGate
    private let zitadelGate: FaultGate

    public init(seed: SeedDocument) {
        clockStart = seed.clock
        // Each store draws from its own stream, so that what one API issues never shifts the
        // other's ids; every copy starts from these same generators.
        // A large seed's two big stores are built side by side: each builds its table of keys on
        // one core.
        let (walletKit, randomSeed) = (seed.walletKit, seed.randomSeed)
        (challenges, sessions) = Parallel.both(
            concurrently: seed.walletKit.sessionChallenges.count >= 4096 && seed.zitadel.sessions.count >= 4096,
            { SessionChallengeStore(seed: walletKit, random: ScenarioRandom(seed: randomSeed, stream: 1)) },
            {
                ZitadelSessionStore(
                    seed: seed.zitadel,
                    now: ScenarioClock.startMicros(seed.clock),
                    random: ScenarioRandom(seed: seed.randomSeed, stream: 3)
                )
            }
        )
        logins = WalletKitLoginStore(seed: seed.walletKit, random: ScenarioRandom(seed: seed.randomSeed, stream: 2))
        let faults = seed.faults
        self.faults = faults
        let matchers = faults.indices.map { FaultMatcher(index: $0, match: faults[$0].match) }
        walletKitFaults = matchers.filter { $0.match.canMatch(.walletKit) }
        zitadelFaults = matchers.filter { $0.match.canMatch(.zitadel) }
        walletKitGate = FaultGate(walletKitFaults)
        zitadelGate = FaultGate(zitadelFaults)
    }

    package func faultMatchers(for api: MockedAPI) -> [FaultMatcher] {
        switch api {
        case .walletKit: return walletKitFaults
        case .zitadel: return zitadelFaults
        }
    }

    package func faultGate(for api: MockedAPI) -> FaultGate {
        switch api {
        case .walletKit: return walletKitGate
        case .zitadel: return zitadelGate
        }
    }

    /// `faultGate(for: api).admits(…)` without copying the gate out.
    package func faultGateAdmits(_ api: MockedAPI, code: String?, sessionId: String?, rpc: String?) -> Bool {
        switch api {
        case .walletKit: return walletKitGate.admits(code: code, sessionId: sessionId, rpc: rpc)
        case .zitadel: return zitadelGate.admits(code: code, sessionId: sessionId, rpc: rpc)
        }
    }
}

/// The values of a key (`code`, `sessionId`, `rpc`) that every rule of one API names, for each
/// such key: a request naming none of them can meet none of the rules, and is let past them
/// with a comparison per value instead of each rule's whole test. A seed's rules usually name
/// the challenge or session they break, so this is most requests' only fault check.
package struct FaultGate: Sendable {
    /// nil where some rule does not name the key (then the key rules nothing out).
    package let codes: [String]?
    package let sessionIds: [String]?
    package let rpcs: [String]?

    init(_ matchers: [FaultMatcher]) {
        func values(_ key: (FaultRule.Match) -> String?) -> [String]? {
            var found: [String] = []
            for matcher in matchers {
                guard let value = key(matcher.match) else { return nil }
                found.append(value)
            }
            return found
        }
        codes = values(\.code)
        sessionIds = values(\.sessionId)
        rpcs = values(\.rpc)
    }

    /// False when no rule can match a request that names these (exact comparisons, as the rules' own).
    package func admits(code: String?, sessionId: String?, rpc: String?) -> Bool {
        func named(_ value: String?, in values: [String]?) -> Bool {
            guard let values else { return true }
            guard let value else { return false }
            // Lengths first: a native String knows its own, and most values differ in it.
            let length = value.utf8.count
            return values.contains { $0.utf8.count == length && $0 == value }
        }
        return named(code, in: codes) && named(sessionId, in: sessionIds) && named(rpc, in: rpcs)
    }
}

/// One seed fault rule's match and its place in the seed, shared by reference so that testing
/// it on the hot path copies nothing.
package final class FaultMatcher: Sendable {
    package let index: Int
    package let match: FaultRule.Match

    package init(index: Int, match: FaultRule.Match) {
        self.index = index
        self.match = match
    }
}

/// The live state of one scenario copy: its stores and what its fault rules have fired. Many MHD
/// worker threads use it at once, so everything mutable sits behind one lock; each request holds
/// it for one dictionary lookup and update.
public final class ScenarioState: Sendable {
    public let name: String
    package let base: ScenarioBase
    /// This copy's time (`/__admin/clock`), started afresh on load and reset.
    public let clock: ScenarioClock
    /// The copy's time at load/reset: `after` timelines count from here.
    package let loadedAtMicros: Int64
    @usableFromInline let contents: Mutex<Contents>

    @usableFromInline package struct Contents: Sendable {
        @usableFromInline var challenges: SessionChallengeStore
        @usableFromInline var logins: WalletKitLoginStore
        @usableFromInline var sessions: ZitadelSessionStore
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
        clock = ScenarioClock(start: base.clockStart)
        loadedAtMicros = clock.nowMicros()
        var sessions = base.sessions
        sessions.revert(now: loadedAtMicros)  // `now`-relative times count from this copy
        contents = Mutex(
            Contents(
                challenges: base.challenges,
                logins: base.logins,
                sessions: sessions,
                faultFires: Array(repeating: 0, count: base.faults.count)
            )
        )
    }

    /// Microseconds of this copy's time since it was loaded or reset (negative when its clock
    /// was set back before that).
    package var elapsedMicros: Int64 { clock.nowMicros() - loadedAtMicros }

    // Inlinable, so the API modules' calls are specialised: a generic call across modules would
    // look up type metadata on every request.
    @inlinable public func withChallenges<R, E: Error>(
        _ body: (inout SessionChallengeStore) throws(E) -> R
    ) throws(E) -> R {
        try contents.withLock { (value) throws(E) -> R in try body(&value.challenges) }
    }

    /// The copy's challenges and login state together: verify-login spends a challenge and
    /// issues a session in one step.
    @inlinable public func withWalletKit<R, E: Error>(
        _ body: (inout SessionChallengeStore, inout WalletKitLoginStore) throws(E) -> R
    ) throws(E) -> R {
        try contents.withLock { (value) throws(E) -> R in try body(&value.challenges, &value.logins) }
    }

    @inlinable public func withSessions<R, E: Error>(_ body: (inout ZitadelSessionStore) throws(E) -> R) throws(E) -> R
    {
        try contents.withLock { (value) throws(E) -> R in try body(&value.sessions) }
    }

    /// Whether any seed fault rule could match a request to `api` (when not, `takeFault` is skipped).
    package func hasFaults(for api: MockedAPI) -> Bool {
        !base.faultMatchers(for: api).isEmpty
    }

    /// The first seed fault rule for `api` that matches and still has firings left; counts the firing.
    package func takeFault(for api: MockedAPI, where matches: (FaultMatcher) -> Bool) -> FaultRule? {
        for matcher in base.faultMatchers(for: api) where matches(matcher) {
            let index = matcher.index
            let times = base.faults[index].times
            let fires = contents.withLock { contents -> Bool in
                if let times, contents.faultFires[index] >= times { return false }
                contents.faultFires[index] += 1
                return true
            }
            if fires { return base.faults[index] }
        }
        return nil
    }
}
