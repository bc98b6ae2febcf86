import MicroHTTP

/// `GET /v2/sessions/{sessionId}`: the checks of contract §2 in their order, against one scenario.
public enum ZitadelSessionAPI {
    /// Cache headers ZITADEL sends with a session.
    static let successHeaders = [
        HTTPField(name: "Cache-Control", value: "no-store"),
        HTTPField(name: "Pragma", value: "no-cache"),
    ]
    /// All headers of a 200, built once.
    static let successResponseHeaders = [HTTPField(name: "Content-Type", value: "application/json")] + successHeaders

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
        case .session(let record): return HTTPResponse(status: 200, headers: successResponseHeaders, body: record.responseBody)
        case .error(let error): return error.response
        }
    }

    public static func evaluate(_ query: Query, state: ScenarioState) -> Outcome {
        // An empty header counts as missing, as Go's Header.Get sees it.
        guard let authorization = query.authorization, !authorization.trimmingSpaces.isEmpty else {
            return .error(.authHeaderMissing)
        }
        guard let bearer = bearerToken(authorization) else { return .error(.invalidAuthHeader) }
        return state.withSessions { store in
            guard let caller = store.token(bearer) else { return .error(.tokenInvalid) }
            if !Self.scalarCount(of: query.sessionId, isIn: 1...200) { return .error(.invalidSessionId) }
            if let token = query.sessionToken, !Self.scalarCount(of: token, isIn: 1...500) {
                return .error(.invalidSessionToken)
            }
            guard let record = store.record(id: query.sessionId) else { return .error(.sessionNotFound) }
            if let token = query.sessionToken {
                guard token == record.sessionToken else { return .error(.wrongSessionToken) }
            } else if caller.userId != record.creatorUserId, caller.userId != record.checkedUserId,
                      !caller.canReadAnySession {
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

    /// The token of `Bearer <token>` (scheme case-insensitive), nil when the header is anything else.
    static func bearerToken(_ header: String) -> String? {
        // Hot path: in ASCII without CR every byte is one Character, so the byte-wise reading
        // below gives the same answer as the Character-wise one after it.
        if let fast = asciiBearerTokenStart(header.utf8Span.span) {
            guard let start = fast else { return nil }
            return String(header[header.utf8.index(header.utf8.startIndex, offsetBy: start)...])
        }
        let trimmed = header.drop { $0 == " " }
        guard trimmed.count > 7, trimmed.prefix(7).lowercased() == "bearer " else { return nil }
        let token = trimmed.dropFirst(7).drop { $0 == " " }
        return token.isEmpty ? nil : String(token)
    }

    private static let bearerScheme = Array("bearer ".utf8)

    /// `bearerToken` over the bytes of an ASCII header without CR: `.some(offset of the token)`
    /// (`.some(nil)` when the header is no bearer token), or nil when the header is not such ASCII.
    private static func asciiBearerTokenStart(_ bytes: Span<UInt8>) -> Int?? {
        for index in bytes.indices where bytes[index] >= 0x80 || bytes[index] == 0x0D { return nil }
        var start = 0
        while start < bytes.count, bytes[start] == 0x20 { start += 1 }
        // More than 7 characters, the first 7 of them "bearer " in any letter case.
        guard bytes.count - start > 7 else { return .some(nil) }
        for (offset, expected) in bearerScheme.enumerated() {
            let byte = bytes[start + offset]
            let lower = byte >= 65 && byte <= 90 ? byte | 0x20 : byte
            if lower != expected { return .some(nil) }
        }
        var tokenStart = start + 7
        while tokenStart < bytes.count, bytes[tokenStart] == 0x20 { tokenStart += 1 }
        return tokenStart < bytes.count ? .some(tokenStart) : .some(nil)
    }
}
