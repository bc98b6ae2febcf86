import Foundation
import SessionMockTesting
import Testing

@testable import JSON
@testable import SessionMock

/// `/oauth/v2/authorize` and `/oauth/v2/token` on the default scenario, in process and live.
@Suite struct ZitadelOAuthTests {
    static let authorize =
        "/oauth/v2/authorize?client_id=app-1&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback&response_type=code"

    @Test(arguments: TestingSetup.allCases)
    func authorizeCreatesAnAuthRequestAndRedirectsToTheLoginUI(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let started = try await mock.get(
            Self.authorize + "&scope=openid%20email&state=s1&prompt=login&login_hint=minnie%40example.com&max_age=60"
        )
        #expect(started.status == 302)
        let location = try #require(started.header("Location"))
        let prefix = "http://localhost:3000/login?authRequest="
        #expect(location.hasPrefix(prefix + "V2_") && location.count == prefix.count + 21, "\(location)")
        let id = String(location.dropFirst(prefix.count))
        let read = try await mock.get("/v2/oidc/auth_requests/\(id)", headers: ["Authorization": "Bearer admin-pat"])
        #expect(read.status == 200)
        let request = try #require(try read.json()["authRequest"])
        #expect(request["clientId"] == .string("app-1"))
        #expect(request["scope"] == .array([.string("openid"), .string("email")]))
        #expect(request["prompt"] == .array([.string("PROMPT_LOGIN")]))
        #expect(request["loginHint"] == .string("minnie@example.com") && request["maxAge"] == .string("60s"))
        // Each scenario copy has its own auth requests.
        let other = try await mock.get(
            "/v2/oidc/auth_requests/\(id)",
            headers: ["Authorization": "Bearer admin-pat", "X-Mock-Scenario": "default@w2"]
        )
        #expect(other.status == 404)
    }

    @Test(arguments: TestingSetup.allCases)
    func unknownClientsAndRedirectsAre400WithoutARedirect(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let rows: [(String, Int, String)] = [
            (
                "/oauth/v2/authorize?client_id=nope&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback&response_type=code",
                400,
                #"{"error":"invalid_request","error_description":"unknown client_id 'nope'"}"#
            ),
            (
                "/oauth/v2/authorize?client_id=app-1&redirect_uri=https%3A%2F%2Fevil.example%2Fcb&response_type=code",
                400,
                #"{"error":"invalid_request","error_description":"redirect_uri 'https://evil.example/cb' is not registered for this client"}"#
            ),
            (
                "/oauth/v2/authorize?client_id=app-1&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback&response_type=token",
                400, #"{"error":"unsupported_response_type","error_description":"response_type must be code"}"#
            ),
        ]
        for (path, status, body) in rows {
            let result = try await mock.get(path)
            #expect(result.status == status && result.text == body && result.header("Location") == nil, "\(path)")
        }
    }

    @Test(arguments: TestingSetup.allCases)
    func tokenIsNotServedAndSaysWhatIs(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let token = try await mock.send("POST", "/oauth/v2/token", body: "grant_type=authorization_code&code=x")
        #expect(token.status == 501 && token.header("Content-Type") == "application/json")
        #expect(try token.json()["error"] == .string("unsupported"))
        #expect(token.text.contains("/oauth/v2/authorize") && token.text.contains("CreateCallback"))
        let unknown = try await mock.get("/oauth/v2/userinfo")
        #expect(unknown.status == 404)
        #expect(try unknown.json()["error"] == .string("not_found"))
    }
}
