import Seeds
import Synchronization

/// All scenarios: their seeds, the live state of each, which one is active, and the private
/// copies made for `X-Mock-Scenario: NAME@KEY` (bounded, least recently used evicted).
public final class ScenarioRegistry: Sendable {
    public struct UnknownScenario: Error, Sendable {
        public var name: String
        public var known: [String]
        public var message: String { "unknown scenario '\(name)'; known scenarios: \(known.joined(separator: ", "))" }
    }

    private struct State: ~Copyable {
        /// Each scenario's seed, built once (`ScenarioBase`): live states, resets and copies start from it.
        var seeds: [String: ScenarioBase]
        var live: [String: ScenarioState] = [:] {
            didSet { activeLive = live[active] }
        }
        var active: String {
            didSet { activeLive = live[active] }
        }
        /// `live[active]`, kept up to date so a request naming no scenario (nearly all of them)
        /// costs no hashing of the active name.
        var activeLive: ScenarioState?
        var isolated: [String: (state: ScenarioState, lastUse: UInt64)] = [:]
        var useCounter: UInt64 = 0
    }

    private let state: Mutex<State>
    public let maxIsolatedCopies: Int
    /// What a seed without its own `clock` and `randomSeed` gets (`serve --clock-start`,
    /// `--clock-frozen`, `--random-seed`).
    public let defaults: SeedDefaults
    /// Called with the key of each evicted isolated copy (the server logs it).
    private let onEvict: @Sendable (String) -> Void

    public init(
        seeds: [String: SeedDocument],
        active: String,
        maxIsolatedCopies: Int = 1000,
        defaults: SeedDefaults = SeedDefaults(),
        onEvict: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        let bases = seeds.mapValues { ScenarioBase(seed: defaults.applied(to: $0)) }
        var live: [String: ScenarioState] = [:]
        for (name, base) in bases { live[name] = ScenarioState(name: name, base: base) }
        var initial = State(seeds: bases, active: active)
        initial.live = live  // sets `activeLive` too
        state = Mutex(initial)
        self.maxIsolatedCopies = max(1, maxIsolatedCopies)
        self.defaults = defaults
        self.onEvict = onEvict
    }

    public var names: [String] { state.withLock { $0.seeds.keys.sorted() } }
    public var activeName: String { state.withLock { $0.active } }

    /// The state a request uses: the active scenario (nil), a named one, or `NAME@KEY`'s private copy.
    public func scenario(_ selector: String?) -> Result<ScenarioState, UnknownScenario> {
        var evicted: String?
        let result = state.withLock { state -> Result<ScenarioState, UnknownScenario> in
            guard let selector, !selector.isEmpty else { return .success(state.activeLive!) }
            guard let at = selector.firstIndex(of: "@") else {
                if let live = state.live[selector] { return .success(live) }
                return .failure(UnknownScenario(name: selector, known: state.seeds.keys.sorted()))
            }
            let name = String(selector[..<at])
            guard let seed = state.seeds[name] else {
                return .failure(UnknownScenario(name: name, known: state.seeds.keys.sorted()))
            }
            state.useCounter += 1
            if let copy = state.isolated[selector] {
                state.isolated[selector]!.lastUse = state.useCounter
                return .success(copy.state)
            }
            if state.isolated.count >= maxIsolatedCopies,
                let oldest = state.isolated.min(by: { $0.value.lastUse < $1.value.lastUse })
            {
                state.isolated.removeValue(forKey: oldest.key)
                evicted = oldest.key
            }
            let copy = ScenarioState(name: selector, base: seed)
            state.isolated[selector] = (copy, state.useCounter)
            return .success(copy)
        }
        if let evicted { onEvict(evicted) }
        return result
    }

    /// Back to the seeds: one scenario (its private copies are dropped too), one private copy,
    /// or (nil) everything.
    public func reset(_ selector: String?) -> Result<[String], UnknownScenario> {
        state.withLock { state in
            guard let selector, !selector.isEmpty else {
                for (name, seed) in state.seeds { state.live[name] = ScenarioState(name: name, base: seed) }
                state.isolated.removeAll()
                return .success(state.seeds.keys.sorted())
            }
            let name = selector.firstIndex(of: "@").map { String(selector[..<$0]) } ?? selector
            guard let seed = state.seeds[name] else {
                return .failure(UnknownScenario(name: name, known: state.seeds.keys.sorted()))
            }
            if selector.contains("@") {
                state.isolated.removeValue(forKey: selector)
            } else {
                state.live[name] = ScenarioState(name: name, base: seed)
                state.isolated = state.isolated.filter { !$0.key.hasPrefix(name + "@") }
            }
            return .success([selector])
        }
    }

    /// Makes `name` the scenario served when a request names none.
    public func activate(_ name: String) -> Result<Void, UnknownScenario> {
        state.withLock { state in
            guard state.seeds[name] != nil else {
                return .failure(UnknownScenario(name: name, known: state.seeds.keys.sorted()))
            }
            state.active = name
            return .success(())
        }
    }

    /// Adds or replaces a scenario from a validated seed (fresh state, private copies dropped).
    /// Swapped in under the lock, so no request sees a half-loaded store.
    public func install(_ seed: SeedDocument, as name: String) {
        let base = ScenarioBase(seed: defaults.applied(to: seed))
        let fresh = ScenarioState(name: name, base: base)
        state.withLock { state in
            state.seeds[name] = base
            state.live[name] = fresh
            state.isolated = state.isolated.filter { !$0.key.hasPrefix(name + "@") }
        }
    }

    public var isolatedCopyCount: Int { state.withLock { $0.isolated.count } }
}
