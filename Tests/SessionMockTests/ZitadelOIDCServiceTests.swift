import Foundation
import SessionMockTesting
import Testing

@testable import JSON
@testable import Seeds
@testable import SessionMock
@testable import ZitadelAPI

/// `zitadel.oidc.v2.OIDCService` on the default scenario's auth requests: GetAuthRequest byte for
/// byte, and CreateCallback's rows in their order; in process and live.
@Suite struct ZitadelOIDCServiceTests {
    static let admin = ["Authorization": "Bearer admin-pat"]
    static let login = ["Authorization": "Bearer login-pat"]
    static let first = "V2_312909100000000001"
    static let second = "V2_312909100000000002"

    static func error(_ code: Int, _ text: String, _ id: String) -> String {
        #"{"code":\#(code),"message":"\#(text) (\#(id))","details":[{"@type":"type.googleapis.com/zitadel.v1.ErrorDetail","id":"\#(id)","message":"\#(text)"}]}"#
    }

    @Test(arguments: TestingSetup.allCases)
    func getAuthRequestAnswersTheSeededRequest(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let found = try await mock.get("/v2/oidc/auth_requests/\(Self.first)", headers: Self.admin)
        #expect(found.status == 200)
        #expect(
            found.text
                == #"{"authRequest":{"id":"V2_312909100000000001","creationDate":"2025-03-06T14:40:00Z","clientId":"app-1","scope":["openid","profile","email"],"redirectUri":"https://app.example.com/callback","prompt":["PROMPT_LOGIN"],"loginHint":"minnie@example.com"}}"#
        )
        let missing = try await mock.get("/v2/oidc/auth_requests/V2_1", headers: Self.admin)
        #expect(missing.status == 404 && missing.text == Self.error(5, "Auth Request does not exist", "QUERY-Thee9"))
        let unpermitted = try await mock.get("/v2/oidc/auth_requests/\(Self.first)", headers: Self.login)
        #expect(unpermitted.status == 403)
    }

    /// A session with Minnie checked, made by the login UI's account.
    static func session(_ mock: Harness) async throws -> (id: String, token: String) {
        let created = try await mock.send(
            "POST",
            "/v2/sessions",
            headers: login,
            body: #"{"checks":{"user":{"loginName":"minnie@example.com"}}}"#
        )
        guard case .string(let id)? = try created.json()["sessionId"],
            case .string(let token)? = try created.json()["sessionToken"]
        else { throw TestingError(description: "no session: \(created.text)") }
        return (id, token)
    }

    static func callback(_ mock: Harness, _ id: String, _ body: String) async throws -> HTTPResult {
        try await mock.send("POST", "/v2/oidc/auth_requests/\(id)", headers: login, body: body)
    }

    @Test(arguments: TestingSetup.allCases)
    func createCallbackWithASessionSendsTheUserBackWithACode(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let session = try await Self.session(mock)
        let body = #"{"session":{"sessionId":"\#(session.id)","sessionToken":"\#(session.token)"}}"#
        let done = try await Self.callback(mock, Self.first, body)
        #expect(done.status == 200, "\(done.text)")
        guard case .string(let url)? = try done.json()["callbackUrl"] else {
            Issue.record("no callbackUrl: \(done.text)")
            return
        }
        let prefix = "https://app.example.com/callback?code="
        #expect(url.hasPrefix(prefix) && url.hasSuffix("&state=af0ifjsldkj"), "\(url)")
        let code = url.dropFirst(prefix.count).prefix { $0 != "&" }
        #expect(code.count >= 16 && code.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        let again = try await Self.callback(mock, Self.first, body)
        #expect(
            again.status == 400
                && again.text == Self.error(9, "Auth Request has already been handled", "COMMAND-Sx208nt")
        )
    }

    @Test(arguments: TestingSetup.allCases)
    func createCallbackWithAnErrorSendsTheOAuthError(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let done = try await Self.callback(
            mock,
            Self.second,
            #"{"error":{"error":"ERROR_REASON_ACCESS_DENIED","errorDescription":"no thanks"}}"#
        )
        #expect(done.status == 200)
        #expect(
            try done.json()["callbackUrl"]
                == .string("https://app.example.com/callback?error=access_denied&error_description=no%20thanks")
        )
    }

    @Test(arguments: TestingSetup.allCases)
    func createCallbackRowsInTheirOrder(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let session = try await Self.session(mock)
        let bare = try await mock.send("POST", "/v2/sessions", headers: Self.login, body: "{}")
        guard case .string(let bareId)? = try bare.json()["sessionId"],
            case .string(let bareToken)? = try bare.json()["sessionToken"]
        else { throw TestingError(description: "no session: \(bare.text)") }
        let rows: [(String, String, Int, String)] = [
            (
                Self.first, "{}", 400,
                #"{"code":3,"message":"invalid CreateCallbackRequest.CallbackKind: value is required"}"#
            ),
            (
                "V2_9", #"{"session":{"sessionId":"\#(session.id)","sessionToken":"\#(session.token)"}}"#, 404,
                Self.error(5, "Auth Request does not exist", "COMMAND-jae5P")
            ),
            (
                Self.first, #"{"session":{"sessionId":"nope","sessionToken":"x"}}"#, 404,
                Self.error(5, "Session does not exist", "QUERY-SFeaa")
            ),
            (
                Self.first, #"{"session":{"sessionId":"\#(session.id)","sessionToken":"wrong"}}"#, 403,
                Self.error(7, "Permission denied", "QUERY-dsfr3")
            ),
            (
                Self.first, #"{"session":{"sessionId":"\#(bareId)","sessionToken":"\#(bareToken)"}}"#, 400,
                #"{"code":9,"message":"the session has no checked user"}"#
            ),
        ]
        for (id, body, status, text) in rows {
            let result = try await Self.callback(mock, id, body)
            #expect(result.status == status && result.text == text, "\(body): \(result.text)")
        }
        let stranger = try await mock.send(
            "POST",
            "/v2/oidc/auth_requests/\(Self.first)",
            headers: ["Authorization": "Bearer user-pat"],
            body: #"{"session":{"sessionId":"\#(session.id)","sessionToken":"\#(session.token)"}}"#
        )
        #expect(stranger.status == 403, "session.link is needed")
    }

    @Test(arguments: [
        (
            #"{"id":"V3_1","clientId":"app","redirectUri":"https://a/cb"}"#, "$.zitadel.oidc.authRequests[0].id",
            "auth request id 'V3_1' is not 'V2_' and digits, as ZITADEL issues them"
        ),
        (
            #"{"id":"V2_1","clientId":"other","redirectUri":"https://a/cb"}"#,
            "$.zitadel.oidc.authRequests[0].clientId",
            "no client 'other' in zitadel.oidc.clients"
        ),
        (
            #"{"id":"V2_1","clientId":"app","redirectUri":"https://evil/cb"}"#,
            "$.zitadel.oidc.authRequests[0].redirectUri",
            "'https://evil/cb' is not a redirect URI of client 'app'"
        ),
        (
            #"{"id":"V2_1","clientId":"app","redirectUri":"https://a/cb","prompt":["maybe"]}"#,
            "$.zitadel.oidc.authRequests[0].prompt",
            "unknown prompt 'maybe' (known: none, login, consent, select_account, create)"
        ),
    ])
    func badAuthRequestSeedsAreRefusedWithTheirPath(entry: String, path: String, reason: String) {
        let seed =
            #"{"zitadel":{"oidc":{"clients":[{"clientId":"app","redirectUris":["https://a/cb"],"loginUrl":"http://l"}],"authRequests":[\#(entry)]}}}"#
        do {
            _ = try SeedParser.parse(Array(seed.utf8), file: "oidc.json")
            Issue.record("accepted \(entry)")
        } catch {
            #expect(error.issues.map(\.path) == [path])
            #expect(error.issues.map(\.reason) == [reason])
        }
    }
}

/// `/__admin/zitadel/auth-requests`: a test creates an auth request and reads how the login UI ended it.
@Suite struct ZitadelAuthRequestControlTests {
    @Test(arguments: TestingSetup.allCases)
    func createThenReadTheOutcome(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let created = try await mock.send(
            "POST",
            "/__admin/zitadel/auth-requests?scenario=default@t1",
            body:
                #"{"id":"V2_42","clientId":"app-1","redirectUri":"https://app.example.com/callback","scope":["openid"],"state":"s","creationDate":"2025-03-06T14:40:00Z"}"#
        )
        #expect(created.status == 201)
        #expect(
            created.text
                == #"{"id":"V2_42","clientId":"app-1","redirectUri":"https://app.example.com/callback","scope":["openid"],"state":"s","prompt":[],"uiLocales":[],"creationDate":"2025-03-06T14:40:00.000000Z","outcome":null}"#
        )
        let again = try await mock.send(
            "POST",
            "/__admin/zitadel/auth-requests?scenario=default@t1",
            body: #"{"id":"V2_42","clientId":"app-1","redirectUri":"https://app.example.com/callback"}"#
        )
        #expect(again.status == 409)
        let bad = try await mock.send(
            "POST",
            "/__admin/zitadel/auth-requests?scenario=default@t1",
            body: #"{"clientId":"app-1","redirectUri":"https://evil.example/cb"}"#
        )
        #expect(bad.status == 400 && bad.text.contains(#""path":"$.redirectUri""#), "\(bad.text)")

        let copy = ["X-Mock-Scenario": "default@t1"]
        let session = try await mock.send(
            "POST",
            "/v2/sessions",
            headers: ZitadelOIDCServiceTests.login.merging(copy) { $1 },
            body: #"{"checks":{"user":{"loginName":"minnie@example.com"}}}"#
        )
        guard case .string(let id)? = try session.json()["sessionId"],
            case .string(let token)? = try session.json()["sessionToken"]
        else { throw TestingError(description: "no session: \(session.text)") }
        let callback = try await mock.send(
            "POST",
            "/v2/oidc/auth_requests/V2_42",
            headers: ZitadelOIDCServiceTests.login.merging(copy) { $1 },
            body: #"{"session":{"sessionId":"\#(id)","sessionToken":"\#(token)"}}"#
        )
        #expect(callback.status == 200)
        let read = try await mock.get("/__admin/zitadel/auth-requests/V2_42?scenario=default@t1")
        let outcome = try #require(try read.json()["outcome"])
        #expect(outcome["sessionId"] == .string(id) && outcome["userId"] == .string("312909037640286104"))
        #expect(outcome["callbackUrl"] == (try callback.json()["callbackUrl"]))
        let listed = try await mock.get("/__admin/zitadel/auth-requests?scenario=default@t1")
        guard case .array(let all)? = try listed.json()["authRequests"] else {
            Issue.record("no list: \(listed.text)")
            return
        }
        #expect(all.count == 3, "the two seeded and the one created")
        let elsewhere = try await mock.get("/__admin/zitadel/auth-requests/V2_42")
        #expect(elsewhere.status == 404, "another copy has its own")
    }
}
