import JSON
import MicroHTTP
import Platform
import Seeds
import Store
import WalletKitAPI
import ZitadelAPI

/// The store at run time (docs/control-api.md#store-routes): `/__admin/walletkit/session-challenges[/{code}]` and
/// `/__admin/zitadel/sessions[/{id}]`, each with `?scenario=NAME[@KEY]`. Input is validated
/// exactly like seed content; a refused body changes nothing.
struct StoreAPI: Sendable {
    let registry: ScenarioRegistry

    func register(on router: inout Router) {
        register(SessionChallengeCollection(), on: &router)
        register(ZitadelSessionCollection(), on: &router)
        // The test's view of the user's phone and inbox: the codes and WebAuthN challenge a
        // session's CreateSession / SetSession issued and its checks have not used yet.
        router.addScenarioRoute("GET", "/__admin/zitadel/sessions/:id/challenges", registry: registry) {
            request,
            state in
            let id = request.pathParameters["id"] ?? ""
            let found = state.withSessions { store in
                store.record(id: id).map { _ in store.lifecycle.challenges[id] ?? ZitadelSessionStore.IssuedChallenges()
                }
            }
            guard let issued = found else { return AdminAPI.error(404, "no session with id '\(id)'") }
            var members: [(key: String, value: JSONValue)] = [("sessionId", .string(id))]
            if let code = issued.otpSms { members.append(("otpSms", .string(code))) }
            if let code = issued.otpEmail { members.append(("otpEmail", .string(code))) }
            if let challenge = issued.webAuthN { members.append(("webAuthN", .string(challenge))) }
            return .json(200, JSONValue.object(members).serialized)
        }
    }

    /// The same seven routes for every collection: list, replace and clear it; read, put, patch
    /// and delete one entry.
    private func register(_ collection: some StoreCollection, on router: inout Router) {
        let all = collection.path
        let one = all + "/:" + collection.identity
        func add(
            _ method: String,
            _ pattern: String,
            _ handler: @escaping @Sendable (HTTPRequest, ScenarioState) -> HTTPResponse
        ) {
            router.addScenarioRoute(method, pattern, registry: registry, handler)
        }
        @Sendable func notFound(_ key: String) -> HTTPResponse { AdminAPI.error(404, "no \(collection.noun) '\(key)'") }

        add("GET", all) { _, state in Self.list(collection, state) }
        add("PUT", all) { request, state in
            Self.withBody(request) { body in
                let wrapped = Self.asList(body, key: collection.listKey)
                guard case .object(let members) = wrapped, members.count == 1, let list = wrapped[collection.listKey]
                else {
                    return AdminAPI.seedError(
                        SeedError(file: "request body", reason: #"expected {"\#(collection.listKey)": [...]}"#)
                    )
                }
                do throws(SeedError) {
                    try collection.replace(with: list, in: state)
                    return Self.list(collection, state)
                } catch {
                    return AdminAPI.seedError(error)
                }
            }
        }
        add("DELETE", all) { _, state in
            collection.removeAll(in: state)
            return .json(200, #"{"deleted":"all"}"#)
        }
        add("GET", one) { request, state in
            let key = request.pathParameters[collection.identity] ?? ""
            return collection.entry(key, in: state).map { .json(200, $0.serialized) } ?? notFound(key)
        }
        add("PUT", one) { request, state in
            let key = request.pathParameters[collection.identity] ?? ""
            return Self.withBody(request) { body in
                do throws(SeedError) {
                    let entry = Self.asEntry(body, wireKey: collection.wireKey, identity: collection.identity)
                    let (created, stored) = try collection.put(entry, key: key, in: state)
                    return .json(created ? 201 : 200, stored.serialized)
                } catch {
                    return AdminAPI.seedError(error)
                }
            }
        }
        add("PATCH", one) { request, state in
            let key = request.pathParameters[collection.identity] ?? ""
            return Self.withBody(request) { patch in
                let merge = { (entry: JSONValue) in
                    Self.patched(
                        entry: entry,
                        wireKey: collection.wireKey,
                        entryKeys: collection.entryKeys,
                        with: patch
                    )
                }
                switch collection.patch(key, in: state, merge: merge) {
                case .success(let stored?): return .json(200, stored.serialized)
                case .success(nil): return notFound(key)
                case .failure(let error): return AdminAPI.seedError(error)
                }
            }
        }
        add("DELETE", one) { request, state in
            let key = request.pathParameters[collection.identity] ?? ""
            return collection.remove(key, in: state)
                ? .json(200, JSONValue.object([("deleted", .string(key))]).serialized)
                : notFound(key)
        }
    }

    private static func list(_ collection: some StoreCollection, _ state: ScenarioState) -> HTTPResponse {
        .json(
            200,
            JSONValue.object([
                ("scenario", .string(state.name)), (collection.listKey, .array(collection.entries(in: state))),
            ]).serialized
        )
    }

    private static func withBody(_ request: HTTPRequest, _ body: (JSONValue) -> HTTPResponse) -> HTTPResponse {
        do throws(JSONSyntaxError) {
            return body(try JSONParser.parse(request.body))
        } catch {
            return AdminAPI.seedError(SeedError(file: "request body", reason: "not valid JSON: \(error.description)"))
        }
    }

    // MARK: - Lenient body shapes

    /// A PUT body may be the seed entry (`{"challenge": {…}}`) or, for convenience, the bare wire
    /// object (`{"id":…, "code":…}`), which is wrapped as the entry's wire object.
    static func asEntry(_ body: JSONValue, wireKey: String, identity: String) -> JSONValue {
        guard case .object = body, body[wireKey] == nil, body[identity] != nil else { return body }
        return .object([(wireKey, body)])
    }

    /// A collection PUT body may be `{"<key>": [...]}` or the bare array.
    static func asList(_ body: JSONValue, key: String) -> JSONValue {
        if case .array = body { return .object([(key, body)]) }
        return body
    }

    /// A PATCH is an RFC 7396 merge patch of the wire object. A patch whose keys are all entry
    /// keys (e.g. `{"project": …}` or `{"challenge": {…}}`) patches the whole seed entry instead;
    /// the wire objects have none of those keys, so the two cannot be confused.
    static func patched(entry: JSONValue, wireKey: String, entryKeys: Set<String>, with patch: JSONValue) -> JSONValue {
        if case .object(let members) = patch, !members.isEmpty, members.allSatisfy({ entryKeys.contains($0.key) }) {
            return entry.mergePatched(with: patch)
        }
        return entry.mergePatched(with: .object([(wireKey, patch)]))
    }
}

/// What the store API needs of one collection; the routes and body handling are shared.
protocol StoreCollection: Sendable {
    /// `/__admin/…`, the collection's route.
    var path: String { get }
    /// The path parameter and wire field that name one entry.
    var identity: String { get }
    /// The list's key in bodies and answers (as in a seed).
    var listKey: String { get }
    /// The wire object's key in a seed entry.
    var wireKey: String { get }
    /// Every key of a seed entry; a PATCH with only these patches the entry, not the wire object.
    var entryKeys: Set<String> { get }
    /// "<noun> '<key>'" names a missing entry.
    var noun: String { get }

    func entries(in state: ScenarioState) -> [JSONValue]
    func entry(_ key: String, in state: ScenarioState) -> JSONValue?
    /// Stores `entry` (a seed entry) under `key`; true when it is new.
    func put(
        _ entry: JSONValue,
        key: String,
        in state: ScenarioState
    ) throws(SeedError) -> (created: Bool, stored: JSONValue)
    func replace(with list: JSONValue, in state: ScenarioState) throws(SeedError)
    /// Applies `merge` to the entry and stores the result if it validates, under one lock; nil
    /// when there is no such entry.
    func patch(_ key: String, in state: ScenarioState, merge: (JSONValue) -> JSONValue) -> Result<JSONValue?, SeedError>
    func remove(_ key: String, in state: ScenarioState) -> Bool
    func removeAll(in state: ScenarioState)
}

/// WalletKit session challenges, by code.
struct SessionChallengeCollection: StoreCollection {
    let path = "/__admin/walletkit/session-challenges"
    let identity = "code"
    let listKey = "sessionChallenges"
    let wireKey = "challenge"
    let entryKeys: Set<String> = ["project", "challenge"]
    let noun = "session challenge with code"

    static func entry(project: String?, challenge: SessionChallenge) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = []
        if let project { members.append(("project", .string(project))) }
        // The wire object exactly as the WalletKit endpoints send it.
        members.append(("challenge", (try? JSONParser.parse(SessionChallengeAPI.json(challenge))) ?? .null))
        return .object(members)
    }

    func entries(in state: ScenarioState) -> [JSONValue] {
        state.withChallenges { $0.all }.map { Self.entry(project: $0.project, challenge: $0.challenge) }
    }

    func entry(_ key: String, in state: ScenarioState) -> JSONValue? {
        state.withChallenges { $0.challenge(code: key) }.map {
            Self.entry(project: $0.project, challenge: $0.challenge)
        }
    }

    func put(
        _ entry: JSONValue,
        key: String,
        in state: ScenarioState
    ) throws(SeedError) -> (created: Bool, stored: JSONValue) {
        let parsed = try SeedParser.parseChallengeEntry(entry)
        guard parsed.challenge.code == key else {
            throw SeedError(
                file: "request body",
                path: "$.challenge.code",
                reason: "'\(parsed.challenge.code)' differs from the code in the path '\(key)'"
            )
        }
        try Self.checkProject(parsed.project, of: state.withChallenges { $0.projects })
        let existed = state.withChallenges { store -> Bool in
            let existed = store.challenge(code: key) != nil
            store.put(parsed)
            return existed
        }
        return (!existed, Self.entry(project: parsed.project, challenge: parsed.challenge))
    }

    func replace(with list: JSONValue, in state: ScenarioState) throws(SeedError) {
        // Validated as a seed's walletkit section, with the scenario's projects.
        let projects = state.withChallenges { $0.projects }
        var section: [(key: String, value: JSONValue)] = [("sessionChallenges", list)]
        if let projects { section.insert(("projects", .array(projects.sorted().map(JSONValue.string))), at: 0) }
        let seed = try SeedParser.parse(
            .object([("walletkit", .object(section))]),
            file: "request body",
            vocabulary: SessionMockApp.seedVocabulary
        )
        state.withChallenges { store in
            store.removeAll()
            for entry in seed.walletKit.sessionChallenges { store.put(entry) }
        }
    }

    func patch(_ key: String, in state: ScenarioState, merge: (JSONValue) -> JSONValue) -> Result<JSONValue?, SeedError>
    {
        state.withChallenges { store in
            guard let current = store.challenge(code: key) else { return .success(nil) }
            do throws(SeedError) {
                let patched = try SeedParser.parseChallengeEntry(
                    merge(Self.entry(project: current.project, challenge: current.challenge))
                )
                guard patched.challenge.code == key else {
                    throw SeedError(
                        file: "request body",
                        path: "$.code",
                        reason: "the code of a challenge cannot be patched; PUT a new one and DELETE this one"
                    )
                }
                try Self.checkProject(patched.project, of: store.projects)
                _ = store.update(code: key, to: patched.challenge, project: patched.project)
                return .success(Self.entry(project: patched.project, challenge: patched.challenge))
            } catch {
                return .failure(error)
            }
        }
    }

    func remove(_ key: String, in state: ScenarioState) -> Bool { state.withChallenges { $0.remove(code: key) } }

    func removeAll(in state: ScenarioState) { state.withChallenges { $0.removeAll() } }

    private static func checkProject(_ project: String?, of projects: Set<String>?) throws(SeedError) {
        guard let projects, let project, !projects.contains(project) else { return }
        throw SeedError(
            file: "request body",
            path: "$.project",
            reason:
                "project '\(project)' is not in the scenario's walletkit.projects (\(projects.sorted().joined(separator: ", ")))"
        )
    }
}

/// ZITADEL sessions, by id.
struct ZitadelSessionCollection: StoreCollection {
    let path = "/__admin/zitadel/sessions"
    let identity = "id"
    let listKey = "sessions"
    let wireKey = "session"
    let entryKeys: Set<String> = ["sessionToken", "creatorUserId", "session"]
    let noun = "session with id"

    static func entry(_ record: ZitadelSessionStore.Record) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = []
        if let token = record.sessionToken { members.append(("sessionToken", .string(token))) }
        if let creator = record.creatorUserId { members.append(("creatorUserId", .string(creator))) }
        // The session object exactly as GetSession sends it.
        members.append(("session", (try? JSONParser.parse(record.responseBody))?["session"] ?? .object([])))
        return .object(members)
    }

    func entries(in state: ScenarioState) -> [JSONValue] { state.withSessions { $0.all }.map(Self.entry) }

    func entry(_ key: String, in state: ScenarioState) -> JSONValue? {
        state.withSessions { $0.record(id: key) }.map(Self.entry)
    }

    func put(
        _ entry: JSONValue,
        key: String,
        in state: ScenarioState
    ) throws(SeedError) -> (created: Bool, stored: JSONValue) {
        let parsed = try SeedParser.parseSessionEntry(entry)
        guard parsed.session.id == key else {
            throw SeedError(
                file: "request body",
                path: "$.session.id",
                reason: "'\(parsed.session.id)' differs from the id in the path '\(key)'"
            )
        }
        let (existed, record) = state.withSessions { store -> (Bool, ZitadelSessionStore.Record?) in
            let existed = store.record(id: key) != nil
            store.put(parsed, now: state.clock.nowMicros())
            return (existed, store.record(id: key))
        }
        return (!existed, record.map(Self.entry) ?? .null)
    }

    func replace(with list: JSONValue, in state: ScenarioState) throws(SeedError) {
        let seed = try SeedParser.parse(
            .object([("zitadel", .object([("sessions", list)]))]),
            file: "request body",
            vocabulary: SessionMockApp.seedVocabulary
        )
        let now = state.clock.nowMicros()
        state.withSessions { store in
            store.removeAll()
            for entry in seed.zitadel.sessions { store.put(entry, now: now) }
        }
    }

    /// Adding a factor moves `changeDate` to now and `sequence` on by one, as ZITADEL does when a
    /// check succeeds.
    func patch(_ key: String, in state: ScenarioState, merge: (JSONValue) -> JSONValue) -> Result<JSONValue?, SeedError>
    {
        state.withSessions { store in
            guard let current = store.record(id: key) else { return .success(nil) }
            do throws(SeedError) {
                var patched = try SeedParser.parseSessionEntry(merge(Self.entry(current)))
                guard patched.session.id == key else {
                    throw SeedError(file: "request body", path: "$.id", reason: "the id of a session cannot be patched")
                }
                let now = state.clock.nowMicros()
                if patched.session.factors.present.contains(where: { !current.session.factors.contains($0) }) {
                    patched.session.changeDate = .absolute(RFC3339.format(micros: now))
                    patched.session.sequence = current.session.sequence &+ 1
                }
                store.put(patched, now: now)
                return .success(store.record(id: key).map(Self.entry))
            } catch {
                return .failure(error)
            }
        }
    }

    func remove(_ key: String, in state: ScenarioState) -> Bool { state.withSessions { $0.remove(id: key) } }

    func removeAll(in state: ScenarioState) { state.withSessions { $0.removeAll() } }
}
