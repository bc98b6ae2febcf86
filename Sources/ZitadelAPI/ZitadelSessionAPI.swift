import MicroHTTP
import Store

/// `GET /v2/sessions/{sessionId}`: the checks of contract §2 in their order, against one scenario.
public enum ZitadelSessionAPI {
    /// Cache headers ZITADEL sends with a session.
    static let successHeaders = [
        HTTPField(name: "Cache-Control", value: "no-store"),
        HTTPField(name: "Pragma", value: "no-cache"),
    ]
    /// All headers of a REST 200, built once.
    static let successResponseHeaders = HTTPResponse.jsonHeaders + successHeaders

    public struct Query: Sendable {
        public var sessionId: String
        public var sessionToken: String?
        public var authorization: String?
    }

    /// The outcome of the checks, independent of the wire encoding (REST today; Connect later).
    public enum Outcome: Sendable {
        case session(ZitadelSessionStore.Record)
        case error(ZitadelError)
    }

    public static func getSession(_ request: HTTPRequest, state: ScenarioState) -> HTTPResponse {
        let query = Query(
            sessionId: request.pathParameters["sessionId"] ?? "",
            sessionToken: request.queryValue("sessionToken") ?? request.queryValue("session_token"),
            authorization: request.header("Authorization"))
        switch evaluate(query, state: state) {
        case .session(let record): return HTTPResponse(status: 200, prepared: record.preparedResponse)
        case .error(let error): return error.response
        }
    }

    /// §2's first two auth rows, which need no store (so they run before its lock is taken).
    static func bearerToken(_ authorization: String?) -> ZitadelRPC.Checked<String> {
        // An empty header counts as missing, as Go's Header.Get sees it.
        guard let authorization, !authorization.trimmingSpaces.isEmpty else { return .failure(.authHeaderMissing) }
        guard let bearer = BearerToken.parse(authorization) else { return .failure(.invalidAuthHeader) }
        return .success(bearer)
    }

    public static func evaluate(_ query: Query, state: ScenarioState) -> Outcome {
        let bearer: String
        switch bearerToken(query.authorization) {
        case .success(let found): bearer = found
        case .failure(let error): return .error(error)
        }
        return state.withSessions { store in
            guard let caller = store.token(bearer) else { return .error(.tokenInvalid) }
            if !Self.scalarCount(of: query.sessionId, isIn: 1...200) { return .error(.invalidSessionId) }
            if let token = query.sessionToken, !Self.scalarCount(of: token, isIn: 1...500) {
                return .error(.invalidSessionToken)
            }
            guard let record = store.record(id: query.sessionId) else { return .error(.sessionNotFound) }
            if let token = query.sessionToken {
                guard record.hasSessionToken(token) else { return .error(.wrongSessionToken) }
            } else if !caller.canReadAnySession, !record.belongs(to: caller.userId) {
                return .error(.noPermission)
            }
            return .session(record)
        }
    }

    /// Whether the number of Unicode scalars of `text` lies in `range`. A string has at most as
    /// many scalars as UTF-8 bytes and at least one when non-empty, so a byte count inside the
    /// range answers without counting scalars (the common case).
    static func scalarCount(of text: String, isIn range: ClosedRange<Int>) -> Bool {
        let bytes = text.utf8.count
        if bytes >= max(range.lowerBound, 1) && bytes <= range.upperBound { return true }
        return range.contains(text.unicodeScalars.count)
    }
}
