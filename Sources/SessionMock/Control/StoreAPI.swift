import MicroHTTP
import JSON
import Platform
import Seeds
import Store
import WalletKitAPI
import ZitadelAPI

/// The store at run time (contract §5): `/__admin/walletkit/session-challenges[/{code}]` and
/// `/__admin/zitadel/sessions[/{id}]`, each with `?scenario=NAME[@KEY]`. Input is validated
/// exactly like seed content; a refused body changes nothing.
struct StoreAPI: Sendable {
    let registry: ScenarioRegistry

    func register(on router: inout Router) {
        let challenges = "/__admin/walletkit/session-challenges"
        router.add("GET", challenges, errors: ControlErrorShape()) { self.inScenario($0) { _, state in self.listChallenges(state) } }
        router.add("PUT", challenges, errors: ControlErrorShape()) { self.inScenario($0) { request, state in self.replaceChallenges(request, state) } }
        router.add("DELETE", challenges, errors: ControlErrorShape()) { self.inScenario($0) { _, state in
            state.withChallenges { $0.removeAll() }
            return .json(200, #"{"deleted":"all"}"#)
        } }
        router.add("GET", challenges + "/:code", errors: ControlErrorShape()) { self.inScenario($0) { request, state in self.getChallenge(request, state) } }
        router.add("PUT", challenges + "/:code", errors: ControlErrorShape()) { self.inScenario($0) { request, state in self.putChallenge(request, state) } }
        router.add("PATCH", challenges + "/:code", errors: ControlErrorShape()) { self.inScenario($0) { request, state in self.patchChallenge(request, state) } }
        router.add("DELETE", challenges + "/:code", errors: ControlErrorShape()) { self.inScenario($0) { request, state in
            let code = request.pathParameters["code"] ?? ""
            return state.withChallenges { $0.remove(code: code) }
                ? .json(200, JSONValue.object([("deleted", .string(code))]).serialized)
                : Self.notFound("no session challenge with code '\(code)'")
        } }

        let sessions = "/__admin/zitadel/sessions"
        router.add("GET", sessions, errors: ControlErrorShape()) { self.inScenario($0) { _, state in self.listSessions(state) } }
        router.add("PUT", sessions, errors: ControlErrorShape()) { self.inScenario($0) { request, state in self.replaceSessions(request, state) } }
        router.add("DELETE", sessions, errors: ControlErrorShape()) { self.inScenario($0) { _, state in
            state.withSessions { $0.removeAll() }
            return .json(200, #"{"deleted":"all"}"#)
        } }
        router.add("GET", sessions + "/:id", errors: ControlErrorShape()) { self.inScenario($0) { request, state in self.getSession(request, state) } }
        router.add("PUT", sessions + "/:id", errors: ControlErrorShape()) { self.inScenario($0) { request, state in self.putSession(request, state) } }
        router.add("PATCH", sessions + "/:id", errors: ControlErrorShape()) { self.inScenario($0) { request, state in self.patchSession(request, state) } }
        router.add("DELETE", sessions + "/:id", errors: ControlErrorShape()) { self.inScenario($0) { request, state in
            let id = request.pathParameters["id"] ?? ""
            return state.withSessions { $0.remove(id: id) }
                ? .json(200, JSONValue.object([("deleted", .string(id))]).serialized)
                : Self.notFound("no session with id '\(id)'")
        } }
    }

    private func inScenario(_ request: HTTPRequest, _ body: (HTTPRequest, ScenarioState) -> HTTPResponse) -> HTTPResponse {
        switch registry.scenario(request.queryValue("scenario")) {
        case .success(let state): return body(request, state)
        case .failure(let unknown): return AdminAPI.error(404, unknown.message, known: unknown.known)
        }
    }

    private static func notFound(_ message: String) -> HTTPResponse { AdminAPI.error(404, message) }

    /// A refusal carried through `Result`.
    struct Refusal: Error { let response: HTTPResponse }

    private static func parseBody(_ request: HTTPRequest) -> Result<JSONValue, Refusal> {
        do throws(JSONSyntaxError) {
            return .success(try JSONParser.parse(request.body))
        } catch {
            return .failure(Refusal(response: AdminAPI.seedError(SeedError(file: "request body", reason: "not valid JSON: \(error.description)"))))
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

    /// The contract's PATCH is a merge patch of the wire object. A patch whose keys are all entry
    /// keys (e.g. `{"project": …}` or `{"challenge": {…}}`) patches the whole seed entry instead;
    /// the wire objects have none of those keys, so the two cannot be confused.
    static func patched(entry: [(key: String, value: JSONValue)], wireKey: String, entryKeys: Set<String>,
                        with patch: JSONValue) -> [(key: String, value: JSONValue)] {
        let current = JSONValue.object(entry)
        if case .object(let members) = patch, !members.isEmpty, members.allSatisfy({ entryKeys.contains($0.key) }) {
            guard case .object(let merged) = current.mergePatched(with: patch) else { return entry }
            return merged
        }
        guard case .object(let merged) = current.mergePatched(with: .object([(wireKey, patch)])) else { return entry }
        return merged
    }

    // MARK: - WalletKit challenges

    static func challengeEntry(project: String?, challenge: SessionChallenge) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = []
        if let project { members.append(("project", .string(project))) }
        // The wire object exactly as the endpoint sends it.
        members.append(("challenge", (try? JSONParser.parse(SessionChallengeAPI.json(challenge))) ?? .null))
        return .object(members)
    }

    private func listChallenges(_ state: ScenarioState) -> HTTPResponse {
        let all = state.withChallenges { $0.all }
        let entries = all.map { Self.challengeEntry(project: $0.project, challenge: $0.challenge) }
        return .json(200, JSONValue.object([("scenario", .string(state.name)), ("sessionChallenges", .array(entries))]).serialized)
    }

    private func getChallenge(_ request: HTTPRequest, _ state: ScenarioState) -> HTTPResponse {
        let code = request.pathParameters["code"] ?? ""
        guard let found = state.withChallenges({ $0.challenge(code: code) }) else {
            return Self.notFound("no session challenge with code '\(code)'")
        }
        return .json(200, Self.challengeEntry(project: found.project, challenge: found.challenge).serialized)
    }

    private func putChallenge(_ request: HTTPRequest, _ state: ScenarioState) -> HTTPResponse {
        let code = request.pathParameters["code"] ?? ""
        let body: JSONValue
        switch Self.parseBody(request) {
        case .success(let value): body = value
        case .failure(let refusal): return refusal.response
        }
        do {
            let entry = try SeedParser.parseChallengeEntry(Self.asEntry(body, wireKey: "challenge", identity: "code"))
            guard entry.challenge.code == code else {
                return AdminAPI.seedError(SeedError(file: "request body", path: "$.challenge.code", reason: "'\(entry.challenge.code)' differs from the code in the path '\(code)'"))
            }
            if let projects = state.withChallenges({ $0.projects }), let project = entry.project, !projects.contains(project) {
                return AdminAPI.seedError(SeedError(file: "request body", path: "$.project", reason: "project '\(project)' is not in the scenario's walletkit.projects (\(projects.sorted().joined(separator: ", ")))"))
            }
            let existed = state.withChallenges { store -> Bool in
                let existed = store.challenge(code: code) != nil
                store.put(entry)
                return existed
            }
            return .json(existed ? 200 : 201, Self.challengeEntry(project: entry.project, challenge: entry.challenge).serialized)
        } catch {
            return AdminAPI.seedError(error)
        }
    }

    private func replaceChallenges(_ request: HTTPRequest, _ state: ScenarioState) -> HTTPResponse {
        let body: JSONValue
        switch Self.parseBody(request) {
        case .success(let value): body = value
        case .failure(let refusal): return refusal.response
        }
        let wrapped = Self.asList(body, key: "sessionChallenges")
        guard case .object(let members) = wrapped, members.count == 1, let list = wrapped["sessionChallenges"] else {
            return AdminAPI.seedError(SeedError(file: "request body", reason: #"expected {"sessionChallenges": [...]}"#))
        }
        // Validated as a seed's walletkit section, with the scenario's projects.
        let projects = state.withChallenges { $0.projects }
        var section: [(key: String, value: JSONValue)] = [("sessionChallenges", list)]
        if let projects { section.insert(("projects", .array(projects.sorted().map(JSONValue.string))), at: 0) }
        do {
            let seed = try SeedParser.parse(.object([("walletkit", .object(section))]), file: "request body")
            state.withChallenges { store in
                store.removeAll()
                for entry in seed.walletKit.sessionChallenges { store.put(entry) }
            }
            return listChallenges(state)
        } catch {
            return AdminAPI.seedError(error)
        }
    }

    private func patchChallenge(_ request: HTTPRequest, _ state: ScenarioState) -> HTTPResponse {
        let code = request.pathParameters["code"] ?? ""
        let patch: JSONValue
        switch Self.parseBody(request) {
        case .success(let value): patch = value
        case .failure(let refusal): return refusal.response
        }
        return state.withChallenges { store in
            guard let current = store.challenge(code: code) else {
                return Self.notFound("no session challenge with code '\(code)'")
            }
            let wire = (try? JSONParser.parse(SessionChallengeAPI.json(current.challenge))) ?? .null
            var entry: [(key: String, value: JSONValue)] = [("challenge", wire)]
            if let project = current.project { entry.insert(("project", .string(project)), at: 0) }
            entry = Self.patched(entry: entry, wireKey: "challenge", entryKeys: ["project", "challenge"], with: patch)
            do throws(SeedError) {
                let patched = try SeedParser.parseChallengeEntry(.object(entry))
                guard patched.challenge.code == code else {
                    return AdminAPI.seedError(SeedError(file: "request body", path: "$.code", reason: "the code of a challenge cannot be patched; PUT a new one and DELETE this one"))
                }
                if let projects = store.projects, let project = patched.project, !projects.contains(project) {
                    return AdminAPI.seedError(SeedError(file: "request body", path: "$.project", reason: "project '\(project)' is not in the scenario's walletkit.projects (\(projects.sorted().joined(separator: ", ")))"))
                }
                _ = store.update(code: code, to: patched.challenge, project: patched.project)
                return .json(200, Self.challengeEntry(project: patched.project, challenge: patched.challenge).serialized)
            } catch {
                return AdminAPI.seedError(error)
            }
        }
    }

    // MARK: - ZITADEL sessions

    static func sessionEntry(_ record: ZitadelSessionStore.Record) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = []
        if let token = record.sessionToken { members.append(("sessionToken", .string(token))) }
        if let creator = record.creatorUserId { members.append(("creatorUserId", .string(creator))) }
        members.append(("session", wireSession(record)))
        return .object(members)
    }

    /// The session object exactly as GetSession sends it.
    static func wireSession(_ record: ZitadelSessionStore.Record) -> JSONValue {
        (try? JSONParser.parse(record.responseBody))?["session"] ?? .object([])
    }

    private func listSessions(_ state: ScenarioState) -> HTTPResponse {
        let all = state.withSessions { $0.all }
        return .json(200, JSONValue.object([("scenario", .string(state.name)), ("sessions", .array(all.map(Self.sessionEntry)))]).serialized)
    }

    private func getSession(_ request: HTTPRequest, _ state: ScenarioState) -> HTTPResponse {
        let id = request.pathParameters["id"] ?? ""
        guard let record = state.withSessions({ $0.record(id: id) }) else { return Self.notFound("no session with id '\(id)'") }
        return .json(200, Self.sessionEntry(record).serialized)
    }

    private func putSession(_ request: HTTPRequest, _ state: ScenarioState) -> HTTPResponse {
        let id = request.pathParameters["id"] ?? ""
        let body: JSONValue
        switch Self.parseBody(request) {
        case .success(let value): body = value
        case .failure(let refusal): return refusal.response
        }
        do {
            let entry = try SeedParser.parseSessionEntry(Self.asEntry(body, wireKey: "session", identity: "id"))
            guard entry.session.id == id else {
                return AdminAPI.seedError(SeedError(file: "request body", path: "$.session.id", reason: "'\(entry.session.id)' differs from the id in the path '\(id)'"))
            }
            let (existed, record) = state.withSessions { store -> (Bool, ZitadelSessionStore.Record?) in
                let existed = store.record(id: id) != nil
                store.put(entry, now: WallClock.nowMicros())
                return (existed, store.record(id: id))
            }
            return .json(existed ? 200 : 201, record.map(Self.sessionEntry)?.serialized ?? [])
        } catch {
            return AdminAPI.seedError(error)
        }
    }

    private func replaceSessions(_ request: HTTPRequest, _ state: ScenarioState) -> HTTPResponse {
        let body: JSONValue
        switch Self.parseBody(request) {
        case .success(let value): body = value
        case .failure(let refusal): return refusal.response
        }
        let wrapped = Self.asList(body, key: "sessions")
        guard case .object(let members) = wrapped, members.count == 1, let list = wrapped["sessions"] else {
            return AdminAPI.seedError(SeedError(file: "request body", reason: #"expected {"sessions": [...]}"#))
        }
        do {
            let seed = try SeedParser.parse(.object([("zitadel", .object([("sessions", list)]))]), file: "request body")
            let now = WallClock.nowMicros()
            state.withSessions { store in
                store.removeAll()
                for entry in seed.zitadel.sessions { store.put(entry, now: now) }
            }
            return listSessions(state)
        } catch {
            return AdminAPI.seedError(error)
        }
    }

    /// A merge patch of the wire session. Adding a factor moves `changeDate` to now and
    /// `sequence` on by one, as ZITADEL does when a check succeeds.
    private func patchSession(_ request: HTTPRequest, _ state: ScenarioState) -> HTTPResponse {
        let id = request.pathParameters["id"] ?? ""
        let patch: JSONValue
        switch Self.parseBody(request) {
        case .success(let value): patch = value
        case .failure(let refusal): return refusal.response
        }
        return state.withSessions { store in
            guard let current = store.record(id: id) else { return Self.notFound("no session with id '\(id)'") }
            var entry: [(key: String, value: JSONValue)] = [("session", Self.wireSession(current))]
            if let creator = current.creatorUserId { entry.insert(("creatorUserId", .string(creator)), at: 0) }
            if let token = current.sessionToken { entry.insert(("sessionToken", .string(token)), at: 0) }
            entry = Self.patched(entry: entry, wireKey: "session", entryKeys: ["sessionToken", "creatorUserId", "session"], with: patch)
            do throws(SeedError) {
                var patched = try SeedParser.parseSessionEntry(.object(entry))
                guard patched.session.id == id else {
                    return AdminAPI.seedError(SeedError(file: "request body", path: "$.id", reason: "the id of a session cannot be patched"))
                }
                let now = WallClock.nowMicros()
                if Self.verifiedFactorNames(patched.session.factors).subtracting(Self.verifiedFactorNames(current.session.factors)).isEmpty == false {
                    patched.session.changeDate = .absolute(RFC3339.format(micros: now))
                    patched.session.sequence = current.session.sequence &+ 1
                }
                store.put(patched, now: now)
                return .json(200, store.record(id: id).map(Self.sessionEntry)?.serialized ?? [])
            } catch {
                return AdminAPI.seedError(error)
            }
        }
    }

    static func verifiedFactorNames(_ factors: ZitadelSession.Factors) -> Set<String> {
        var names = Set<String>()
        if factors.user != nil { names.insert("user") }
        if factors.password != nil { names.insert("password") }
        if factors.webAuthN != nil { names.insert("webAuthN") }
        if factors.intent != nil { names.insert("intent") }
        if factors.totp != nil { names.insert("totp") }
        if factors.otpSms != nil { names.insert("otpSms") }
        if factors.otpEmail != nil { names.insert("otpEmail") }
        if factors.recoveryCode != nil { names.insert("recoveryCode") }
        return names
    }
}
