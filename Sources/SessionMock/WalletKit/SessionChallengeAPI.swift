import MicroHTTP

/// `GET /users/session-challenge?code=…`: the checks of contract §1 in their order.
public enum SessionChallengeAPI {
    public static func getSessionChallenge(_ request: HTTPRequest, state: ScenarioState) -> HTTPResponse {
        let project = request.header("X-WalletKit-Project-ID")?.trimmingSpaces ?? ""
        guard !project.isEmpty else { return WalletKitError.missingProjectId.response }
        let code = request.queryValue("code") ?? ""
        let elapsed = state.elapsedMicros
        let lookup: SessionChallengeStore.Lookup? = state.withChallenges { store in
            guard store.acceptsProject(project) else { return nil }
            guard !code.isEmpty else { return .notFound }
            return store.poll(code: code, project: project, elapsedMicros: elapsed)
        }
        guard let lookup else { return WalletKitError.invalidProjectId.response }
        guard !code.isEmpty else { return WalletKitError.missingCode.response }
        switch lookup {
        case .notFound: return WalletKitError.challengeNotFound.response
        case .otherProject: return WalletKitError.forbidden.response
        case .found(let challenge): return .json(200, json(challenge))
        }
    }

    /// `{"id","code","expired","completed"}` in WalletKit's field order, all four always present.
    public static func json(_ challenge: SessionChallenge) -> [UInt8] {
        var w = JSONWriter(capacity: 96)
        w.raw("{\"id\":")
        w.string(challenge.id)
        w.raw(",\"code\":")
        w.string(challenge.code)
        w.raw(challenge.expired ? ",\"expired\":true" : ",\"expired\":false")
        w.raw(challenge.completed ? ",\"completed\":true}" : ",\"completed\":false}")
        return w.bytes
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
