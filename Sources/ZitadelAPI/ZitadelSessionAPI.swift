import MicroHTTP
import MockPipeline
import Store

/// GetSession: the checks of docs/zitadel.md's GetSession table in their order, against one
/// scenario copy.
public enum ZitadelSessionAPI {
    /// Cache headers ZITADEL sends with a session.
    static let successHeaders = [
        HTTPField(name: "Cache-Control", value: "no-store"),
        HTTPField(name: "Pragma", value: "no-cache"),
    ]
    /// All headers of a REST 200, built once.
    static let successResponseHeaders = HTTPResponse.jsonHeaders + successHeaders

    static func getSession(
        _ message: Zitadel_Session_V2_GetSessionRequest,
        _ call: ZitadelCall
    ) throws(ZitadelError) -> SessionReply {
        let bearer = try bearerToken(call.authorization)
        let sessionToken = message.hasSessionToken ? message.sessionToken : nil
        return try call.state.withSessions { store throws(ZitadelError) in
            guard let caller = store.token(bearer) else { throw .tokenInvalid }
            if !Self.scalarCount(of: message.sessionID, isIn: 1...200) { throw .invalidSessionId }
            if let token = sessionToken, !Self.scalarCount(of: token, isIn: 1...500) { throw .invalidSessionToken }
            guard let record = store.record(id: message.sessionID) else { throw .sessionNotFound }
            if let token = sessionToken {
                guard record.hasSessionToken(token) else { throw .wrongSessionToken }
            } else if !caller.canReadAnySession, !record.belongs(to: caller.userId) {
                throw .noPermission
            }
            return SessionReply(record: record)
        }
    }

    /// The first two auth rows, which need no store (so they run before its lock is taken).
    static func bearerToken(_ authorization: String?) throws(ZitadelError) -> String {
        // An empty header counts as missing, as Go's Header.Get sees it.
        guard let authorization, authorization.utf8.contains(where: { $0 != 0x20 && $0 != 0x09 }) else {
            throw .authHeaderMissing
        }
        guard let bearer = BearerToken.parse(authorization) else { throw .invalidAuthHeader }
        return bearer
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

/// A stored session as GetSession answers it: the bodies (and the prepared REST answer) are made
/// once per record and kept with it.
struct SessionReply: ZitadelReply {
    let record: ZitadelSessionStore.Record

    func json() -> [UInt8] { record.responseBody }
    func proto() -> [UInt8] { record.protoResponseBody }
    func restResponse(status: Int) -> HTTPResponse { HTTPResponse(status: status, prepared: record.preparedResponse) }
}

/// ListSessions' answer: each session exactly as GetSession sends it.
struct SessionListReply: ZitadelReply {
    let details: Zitadel_Object_V2_ListDetails
    let records: [ZitadelSessionStore.Record]

    /// `{"details":…,"sessions":[…]}`, each session's stored JSON without its `{"session":…}` wrapper.
    func json() throws -> [UInt8] {
        var body = Array(#"{"details":"#.utf8) + (try details.jsonUTF8Bytes())
        if !records.isEmpty {
            body += Array(#","sessions":["#.utf8)
            for (index, record) in records.enumerated() {
                if index > 0 { body.append(UInt8(ascii: ",")) }
                let wrapped = record.responseBody
                body += wrapped[11..<(wrapped.count - 1)]
            }
            body.append(UInt8(ascii: "]"))
        }
        body.append(UInt8(ascii: "}"))
        return body
    }

    func proto() throws -> [UInt8] {
        let response = Zitadel_Session_V2_ListSessionsResponse.with {
            $0.details = details
            $0.sessions = records.map { ZitadelProtoConverter.getSessionResponse($0.session).session }
        }
        return try response.serializedBytes()
    }
}
