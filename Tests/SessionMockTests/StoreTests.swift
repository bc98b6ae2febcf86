import Synchronization
import Testing

@testable import JSON
@testable import MicroHTTP
@testable import MockPipeline
@testable import Platform
@testable import Seeds
@testable import SessionMock
@testable import Store
@testable import WalletKitAPI
@testable import ZitadelAPI

/// The stores behind the endpoints and the scenario registry (docs/seeds.md, docs/control-api.md).
@Suite struct StoreTests {
    static func challenge(_ code: String, expired: Bool = false, completed: Bool = false) -> SessionChallenge {
        SessionChallenge(id: "id-" + code, code: code, expired: expired, completed: completed)
    }

    static func entry(_ code: String, project: String? = "p1", timeline: [TimelineStep] = []) -> SessionChallengeSeed {
        SessionChallengeSeed(project: project, challenge: challenge(code), timeline: timeline)
    }

    static func store(_ entries: [SessionChallengeSeed], projects: [String]? = ["p1", "p2"]) -> SessionChallengeStore {
        SessionChallengeStore(seed: WalletKitSeed(projects: projects, sessionChallenges: entries))
    }

    // MARK: - SessionChallengeStore

    @Test func afterPollsTimeline() {
        var store = Self.store([
            Self.entry("SLOW", timeline: [TimelineStep(trigger: .afterPolls(3), setExpired: nil, setCompleted: true)])
        ])
        var answers: [SessionChallengeStore.Lookup] = []
        for _ in 1...5 { answers.append(store.poll(code: "SLOW", project: "p1", elapsedMicros: 0)) }
        let old = SessionChallengeStore.Lookup.found(Self.challenge("SLOW"))
        let new = SessionChallengeStore.Lookup.found(Self.challenge("SLOW", completed: true))
        #expect(answers == [old, old, old, new, new])
    }

    @Test func afterZeroPollsFiresOnTheFirstPoll() {
        var store = Self.store([
            Self.entry("NOW", timeline: [TimelineStep(trigger: .afterPolls(0), setExpired: true, setCompleted: nil)])
        ])
        #expect(
            store.poll(code: "NOW", project: "p1", elapsedMicros: 0) == .found(Self.challenge("NOW", expired: true))
        )
    }

    @Test func stepsFireInTurn() {
        var store = Self.store([
            Self.entry(
                "TWO",
                timeline: [
                    TimelineStep(trigger: .afterPolls(1), setExpired: nil, setCompleted: true),
                    TimelineStep(trigger: .afterPolls(2), setExpired: true, setCompleted: false),
                ]
            )
        ])
        #expect(store.poll(code: "TWO", project: "p1", elapsedMicros: 0) == .found(Self.challenge("TWO")))
        #expect(
            store.poll(code: "TWO", project: "p1", elapsedMicros: 0) == .found(Self.challenge("TWO", completed: true))
        )
        #expect(
            store.poll(code: "TWO", project: "p1", elapsedMicros: 0)
                == .found(Self.challenge("TWO", expired: true, completed: false))
        )
    }

    @Test func afterDurationTimeline() {
        let tenMinutes = SeedDuration(micros: 600_000_000)
        var store = Self.store([
            Self.entry(
                "TIMED",
                timeline: [TimelineStep(trigger: .after(tenMinutes), setExpired: true, setCompleted: nil)]
            )
        ])
        #expect(store.poll(code: "TIMED", project: "p1", elapsedMicros: 0) == .found(Self.challenge("TIMED")))
        #expect(store.poll(code: "TIMED", project: "p1", elapsedMicros: 599_999_999) == .found(Self.challenge("TIMED")))
        #expect(
            store.poll(code: "TIMED", project: "p1", elapsedMicros: 600_000_000)
                == .found(Self.challenge("TIMED", expired: true))
        )
        // Fired once: a later poll does not undo or redo it.
        #expect(
            store.poll(code: "TIMED", project: "p1", elapsedMicros: 1) == .found(Self.challenge("TIMED", expired: true))
        )
    }

    @Test func otherProjectAndNotFound() {
        var store = Self.store([
            Self.entry("MINE", timeline: [TimelineStep(trigger: .afterPolls(1), setExpired: nil, setCompleted: true)])
        ])
        #expect(store.poll(code: "MINE", project: "p2", elapsedMicros: 0) == .otherProject)
        #expect(store.poll(code: "NOPE", project: "p1", elapsedMicros: 0) == .notFound)
        #expect(store.poll(code: "mine", project: "p1", elapsedMicros: 0) == .notFound)
        // Refused polls are not answered polls: the first real poll still sees the old state.
        #expect(store.poll(code: "MINE", project: "p1", elapsedMicros: 0) == .found(Self.challenge("MINE")))
        #expect(
            store.poll(code: "MINE", project: "p1", elapsedMicros: 0) == .found(Self.challenge("MINE", completed: true))
        )
    }

    @Test func challengeWithoutProjectMatchesEveryProject() {
        var store = Self.store([Self.entry("ANY", project: nil)], projects: nil)
        for project in ["p1", "p2", "anything"] {
            #expect(store.poll(code: "ANY", project: project, elapsedMicros: 0) == .found(Self.challenge("ANY")))
        }
    }

    @Test func acceptedProjects() {
        let listed = Self.store([], projects: ["p1"])
        #expect(listed.acceptsProject("p1"))
        #expect(!listed.acceptsProject("p2"))
        #expect(!listed.acceptsProject(""))
        let open = Self.store([], projects: nil)
        #expect(open.projects == nil)
        #expect(open.acceptsProject("whatever"))
    }

    @Test func putUpdateRemove() throws {
        var store = Self.store([Self.entry("A"), Self.entry("B"), Self.entry("C", project: nil)])
        #expect(store.count == 3)
        #expect(store.all.map(\.challenge.code) == ["A", "B", "C"])
        #expect(store.all.map(\.project) == ["p1", "p1", nil])

        // Replacing keeps the listing position and starts the timeline over.
        store.put(
            Self.entry(
                "B",
                project: "p2",
                timeline: [TimelineStep(trigger: .afterPolls(1), setExpired: nil, setCompleted: true)]
            )
        )
        #expect(store.count == 3)
        #expect(store.all.map(\.challenge.code) == ["A", "B", "C"])
        #expect(store.challenge(code: "B")?.project == "p2")
        #expect(store.poll(code: "B", project: "p2", elapsedMicros: 0) == .found(Self.challenge("B")))

        // update keeps the poll count: the next poll fires the step.
        let updated = store.update(
            code: "B",
            to: SessionChallenge(id: "new-id", code: "B", expired: true, completed: false),
            project: "p2"
        )
        #expect(updated)
        #expect(
            store.poll(code: "B", project: "p2", elapsedMicros: 0)
                == .found(SessionChallenge(id: "new-id", code: "B", expired: true, completed: true))
        )
        let codeChanged = store.update(code: "B", to: Self.challenge("OTHER"), project: "p2")
        #expect(!codeChanged)
        let missing = store.update(code: "MISSING", to: Self.challenge("MISSING"), project: nil)
        #expect(!missing)

        store.put(Self.entry("D"))
        #expect(store.all.map(\.challenge.code) == ["A", "B", "C", "D"])
        let removed = store.remove(code: "A")
        let removedAgain = store.remove(code: "A")
        #expect(removed)
        #expect(!removedAgain)
        #expect(store.all.map(\.challenge.code) == ["B", "C", "D"])
        #expect(store.poll(code: "A", project: "p1", elapsedMicros: 0) == .notFound)
        store.removeAll()
        #expect(store.count == 0)
        #expect(store.all.isEmpty)
    }

    // MARK: - ZitadelSessionStore

    /// 2025-03-06T14:42:07.731226Z
    static let now: Int64 = 1_741_272_127_731_226

    static func sessionEntry(
        _ id: String,
        token: String? = nil,
        creator: String? = nil,
        creationDate: SeedTimestamp? = nil,
        sequence: UInt64 = 0
    ) -> ZitadelSessionSeed {
        var session = ZitadelSession()
        session.id = id
        session.creationDate = creationDate
        session.sequence = sequence
        return ZitadelSessionSeed(sessionToken: token, creatorUserId: creator, session: session)
    }

    @Test func sessionStoreResolvesRelativeTimesAndPreEncodes() throws {
        var seedSession = ZitadelSession()
        seedSession.id = "s1"
        seedSession.creationDate = .relative(offsetMicros: -300_000_000)
        seedSession.changeDate = .absolute("2025-01-01T00:00:00Z")
        seedSession.expirationDate = .relative(offsetMicros: 3_600_000_000)
        seedSession.factors[.password] = ZitadelSession.VerifiedFactor(verifiedAt: .relative(offsetMicros: 0))
        let seed = ZitadelSeed(
            tokens: [
                ZitadelToken(token: "admin", userId: "9001", permissions: ["session.read"]),
                ZitadelToken(token: "user", userId: "1", permissions: []),
            ],
            sessions: [ZitadelSessionSeed(sessionToken: "tok", creatorUserId: "9001", session: seedSession)]
        )
        let store = ZitadelSessionStore(seed: seed, now: Self.now)

        #expect(store.token("admin")?.canReadAnySession == true)
        #expect(store.token("user")?.userId == "1")
        #expect(store.token("user")?.canReadAnySession == false)
        #expect(store.token("nobody") == nil)

        let record = try #require(store.record(id: "s1"))
        #expect(record.sessionToken == "tok")
        #expect(record.creatorUserId == "9001")
        #expect(record.session.creationDate == .absolute("2025-03-06T14:37:07.731226Z"))
        #expect(record.session.factors[.password]?.verifiedAt == .absolute("2025-03-06T14:42:07.731226Z"))
        #expect(
            String(decoding: record.responseBody, as: UTF8.self)
                == #"{"session":{"id":"s1","creationDate":"2025-03-06T14:37:07.731226Z","changeDate":"2025-01-01T00:00:00Z","factors":{"password":{"verifiedAt":"2025-03-06T14:42:07.731226Z"}},"expirationDate":"2025-03-06T15:42:07.731226Z"}}"#
        )
        #expect(store.record(id: "s2") == nil)
    }

    @Test func sessionStorePutRemove() throws {
        var store = ZitadelSessionStore(
            seed: ZitadelSeed(tokens: [], sessions: [Self.sessionEntry("a"), Self.sessionEntry("b")]),
            now: Self.now
        )
        #expect(store.count == 2)
        #expect(store.all.map(\.session.id) == ["a", "b"])

        store.put(
            Self.sessionEntry(
                "c",
                token: "t-c",
                creator: "u",
                creationDate: .relative(offsetMicros: 1_000_000),
                sequence: 2
            ),
            now: 0
        )
        #expect(store.all.map(\.session.id) == ["a", "b", "c"])
        let c = try #require(store.record(id: "c"))
        #expect(c.sessionToken == "t-c")
        #expect(c.creatorUserId == "u")
        #expect(
            String(decoding: c.responseBody, as: UTF8.self)
                == #"{"session":{"id":"c","creationDate":"1970-01-01T00:00:01.000000Z","sequence":"2"}}"#
        )

        // Replacing keeps the position and re-encodes the body.
        store.put(Self.sessionEntry("a", sequence: 9), now: Self.now)
        #expect(store.count == 3)
        #expect(store.all.map(\.session.id) == ["a", "b", "c"])
        #expect(
            store.record(id: "a").map { String(decoding: $0.responseBody, as: UTF8.self) }
                == #"{"session":{"id":"a","sequence":"9"}}"#
        )
        #expect(store.record(id: "a")?.session.sequence == 9)

        let removed = store.remove(id: "b")
        let removedAgain = store.remove(id: "b")
        #expect(removed)
        #expect(!removedAgain)
        #expect(store.record(id: "b") == nil)
        #expect(store.all.map(\.session.id) == ["a", "c"])
        store.removeAll()
        #expect(store.count == 0)
        #expect(store.all.isEmpty)
    }

    // MARK: - ScenarioRegistry

    /// One challenge `CODE` (every project) and one session `S`.
    static func scenarioSeed(code: String = "CODE") -> SeedDocument {
        var seed = SeedDocument()
        seed.walletKit.sessionChallenges = [entry(code, project: nil)]
        seed.zitadel.sessions = [sessionEntry("S")]
        return seed
    }

    static func registry(
        maxIsolatedCopies: Int = 1000,
        onEvict: @escaping @Sendable (String) -> Void = { _ in }
    ) -> ScenarioRegistry {
        ScenarioRegistry(
            seeds: ["default": scenarioSeed(), "other": scenarioSeed(code: "OTHER")],
            active: "default",
            maxIsolatedCopies: maxIsolatedCopies,
            onEvict: onEvict
        )
    }

    static func hasChallenge(_ state: ScenarioState, _ code: String) -> Bool {
        state.withChallenges { $0.challenge(code: code) != nil }
    }

    @Test func unknownScenarioListsTheKnownOnes() {
        let registry = Self.registry()
        for selector in ["nope", "nope@worker-1"] {
            switch registry.scenario(selector) {
            case .success(let state): Issue.record("'\(selector)' gave scenario \(state.name)")
            case .failure(let error):
                #expect(error.name == "nope")
                #expect(error.known == ["default", "other"])
                #expect(error.message == "unknown scenario 'nope'; known scenarios: default, other")
            }
        }
        #expect(registry.names == ["default", "other"])
    }

    @Test func activeAndNamedScenarios() throws {
        let registry = Self.registry()
        #expect(registry.activeName == "default")
        let active = try registry.scenario(nil).get()
        #expect(active.name == "default")
        #expect(try registry.scenario("").get() === active)
        #expect(try registry.scenario("default").get() === active)
        let other = try registry.scenario("other").get()
        #expect(other.name == "other")
        #expect(Self.hasChallenge(other, "OTHER"))
        try registry.activate("other").get()
        #expect(try registry.scenario(nil).get() === other)
        #expect(throws: ScenarioRegistry.UnknownScenario.self) { try registry.activate("missing").get() }
        #expect(registry.activeName == "other")
    }

    @Test func privateCopiesAreIndependent() throws {
        let registry = Self.registry()
        let shared = try registry.scenario("default").get()
        let a = try registry.scenario("default@a").get()
        let b = try registry.scenario("default@b").get()
        #expect(a.name == "default@a")
        #expect(b.name == "default@b")
        #expect(a !== shared && b !== shared && a !== b)
        #expect(try registry.scenario("default@a").get() === a)
        #expect(registry.isolatedCopyCount == 2)

        a.withChallenges { _ = $0.remove(code: "CODE") }
        b.withSessions { _ = $0.remove(id: "S") }
        #expect(!Self.hasChallenge(a, "CODE"))
        #expect(Self.hasChallenge(b, "CODE"))
        #expect(Self.hasChallenge(shared, "CODE"))
        #expect(a.withSessions { $0.record(id: "S") != nil })
        #expect(!b.withSessions { $0.record(id: "S") != nil })
        #expect(shared.withSessions { $0.record(id: "S") != nil })

        // Changes to the shared scenario do not reach the copies either.
        shared.withChallenges { $0.removeAll() }
        #expect(Self.hasChallenge(b, "CODE"))
        // A new copy starts from the seed, not from the shared state.
        #expect(Self.hasChallenge(try registry.scenario("default@c").get(), "CODE"))
    }

    final class Evictions: Sendable {
        let keys = Mutex<[String]>([])
        var list: [String] { keys.withLock { $0 } }
        func add(_ key: String) { keys.withLock { $0.append(key) } }
    }

    @Test func leastRecentlyUsedCopyIsEvicted() throws {
        let evictions = Evictions()
        let registry = Self.registry(maxIsolatedCopies: 2, onEvict: { evictions.add($0) })
        let one = try registry.scenario("default@1").get()
        _ = try registry.scenario("other@2").get()
        #expect(try registry.scenario("default@1").get() === one)  // 1 is now the most recently used
        _ = try registry.scenario("default@3").get()
        #expect(evictions.list == ["other@2"])
        #expect(registry.isolatedCopyCount == 2)
        #expect(try registry.scenario("default@1").get() === one)
        _ = try registry.scenario("default@4").get()
        #expect(evictions.list == ["other@2", "default@3"])
        #expect(registry.isolatedCopyCount == 2)
        // An evicted key comes back as a fresh copy (and evicts the next oldest).
        _ = try registry.scenario("other@2").get()
        #expect(evictions.list == ["other@2", "default@3", "default@1"])
        #expect(try registry.scenario("default@1").get() !== one)
    }

    @Test func resetOneScenario() throws {
        let registry = Self.registry()
        let shared = try registry.scenario("default").get()
        let copy = try registry.scenario("default@k").get()
        let other = try registry.scenario("other").get()
        let otherCopy = try registry.scenario("other@k").get()
        shared.withChallenges { $0.removeAll() }
        other.withChallenges { $0.removeAll() }

        #expect(try registry.reset("default").get() == ["default"])
        let fresh = try registry.scenario("default").get()
        #expect(fresh !== shared)
        #expect(Self.hasChallenge(fresh, "CODE"))
        // Its private copies are dropped; other scenarios and their copies are untouched.
        #expect(try registry.scenario("default@k").get() !== copy)
        #expect(try registry.scenario("other").get() === other)
        #expect(!Self.hasChallenge(other, "OTHER"))
        #expect(try registry.scenario("other@k").get() === otherCopy)
        #expect(throws: ScenarioRegistry.UnknownScenario.self) { try registry.reset("nope").get() }
    }

    @Test func resetOneCopy() throws {
        let registry = Self.registry()
        let shared = try registry.scenario("default").get()
        let a = try registry.scenario("default@a").get()
        let b = try registry.scenario("default@b").get()
        a.withChallenges { $0.removeAll() }
        shared.withChallenges { $0.removeAll() }

        #expect(try registry.reset("default@a").get() == ["default@a"])
        let freshA = try registry.scenario("default@a").get()
        #expect(freshA !== a)
        #expect(Self.hasChallenge(freshA, "CODE"))
        #expect(try registry.scenario("default@b").get() === b)
        #expect(try registry.scenario("default").get() === shared)
        #expect(!Self.hasChallenge(shared, "CODE"))
    }

    @Test func resetEverything() throws {
        let registry = Self.registry()
        let shared = try registry.scenario("default").get()
        let other = try registry.scenario("other").get()
        _ = try registry.scenario("default@a").get()
        _ = try registry.scenario("other@b").get()
        shared.withChallenges { $0.removeAll() }

        #expect(try registry.reset(nil).get() == ["default", "other"])
        #expect(registry.isolatedCopyCount == 0)
        let fresh = try registry.scenario("default").get()
        #expect(fresh !== shared)
        #expect(Self.hasChallenge(fresh, "CODE"))
        #expect(try registry.scenario("other").get() !== other)
    }

    @Test func installReplacesAScenarioAndDropsItsCopies() throws {
        let registry = Self.registry()
        let copy = try registry.scenario("default@k").get()
        registry.install(Self.scenarioSeed(code: "NEW"), as: "default")
        #expect(Self.hasChallenge(try registry.scenario("default").get(), "NEW"))
        let fresh = try registry.scenario("default@k").get()
        #expect(fresh !== copy)
        #expect(Self.hasChallenge(fresh, "NEW"))
        registry.install(Self.scenarioSeed(code: "THIRD"), as: "third")
        #expect(registry.names == ["default", "other", "third"])
    }
}
