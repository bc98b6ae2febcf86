import JSON
import MicroHTTP
import Seeds
import Store

/// `GET /users/session-challenge?code=…`: the checks of docs/walletkit.md's table in their order.
public enum SessionChallengeAPI {
    public static func getSessionChallenge(
        _ request: HTTPRequest,
        state: ScenarioState
    ) throws(WalletKitError) -> HTTPResponse {
        guard let project = request.walletKitProject else { throw .missingProjectId }
        let code = request.queryValue("code") ?? ""
        let elapsed = state.elapsedMicros
        // The answer for a found challenge is taken (usually from the store's cache) under the same lock.
        let answer = try state.withChallenges { store throws(WalletKitError) -> PreparedResponse in
            guard store.acceptsProject(project) else { throw .invalidProjectId }
            guard !code.isEmpty else { throw .missingCode }
            switch store.poll(code: code, project: project, elapsedMicros: elapsed) {
            case .notFound: throw .challengeNotFound
            case .otherProject: throw .forbidden
            case .found(let challenge):
                let made = store.answer(for: challenge) {
                    PreparedResponse(headers: HTTPResponse.jsonHeaders, body: json($0))
                }
                return unsafeDowncast(made, to: PreparedResponse.self)  // only this endpoint fills the cache
            }
        }
        return HTTPResponse(status: 200, prepared: answer)
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
