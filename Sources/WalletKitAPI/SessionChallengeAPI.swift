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
        // The answer for a found challenge is taken (usually from the store's cache) under the same lock.
        let answer: Result<PreparedResponse, WalletKitError> = state.withChallenges { store in
            guard store.acceptsProject(project) else { return .failure(.invalidProjectId) }
            guard !code.isEmpty else { return .failure(.missingCode) }
            switch store.poll(code: code, project: project, elapsedMicros: elapsed) {
            case .notFound: return .failure(.challengeNotFound)
            case .otherProject: return .failure(.forbidden)
            case .found(let challenge):
                let made = store.answer(for: challenge) { PreparedResponse(headers: HTTPResponse.jsonHeaders, body: json($0)) }
                return .success(unsafeDowncast(made, to: PreparedResponse.self))  // only this endpoint fills the cache
            }
        }
        switch answer {
        case .success(let found): return HTTPResponse(status: 200, prepared: found)
        case .failure(let error): return error.response
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
