import MicroHTTP
import JSON
import Seeds
import Store

/// `GET /users/session-challenge?code=…`: the checks of contract §1 in their order.
public enum SessionChallengeAPI {
    public static func getSessionChallenge(_ request: HTTPRequest, state: ScenarioState) -> HTTPResponse {
        let project = request.header("X-WalletKit-Project-ID")?.trimmingSpaces ?? ""
        guard !project.isEmpty else { return WalletKitError.missingProjectId.response }
        let code = request.queryValue("code") ?? ""
        let elapsed = state.elapsedMicros
        // The body of a found challenge is taken (usually from the store's cache) under the same lock.
        let answer: (lookup: SessionChallengeStore.Lookup, body: [UInt8])? = state.withChallenges { store in
            guard store.acceptsProject(project) else { return nil }
            guard !code.isEmpty else { return (.notFound, []) }
            let lookup = store.poll(code: code, project: project, elapsedMicros: elapsed)
            guard case .found(let challenge) = lookup else { return (lookup, []) }
            return (lookup, store.encoded(challenge, json))
        }
        guard let answer else { return WalletKitError.invalidProjectId.response }
        guard !code.isEmpty else { return WalletKitError.missingCode.response }
        switch answer.lookup {
        case .notFound: return WalletKitError.challengeNotFound.response
        case .otherProject: return WalletKitError.forbidden.response
        case .found: return .json(200, answer.body)
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
