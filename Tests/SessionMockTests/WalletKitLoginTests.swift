import Foundation
import SessionMockTesting
import Testing

@testable import JSON
@testable import Platform
@testable import Seeds
@testable import SessionMock
@testable import Store
@testable import WalletKitAPI

/// The login flow's rows (docs/walletkit.md#the-login-flow), one by one, against the bundled default
/// scenario: each test in process and live.
@Suite struct WalletKitLoginTests {
    static let project = Harness.project

    static func error(_ code: String, _ text: String) -> String { #"{"code":"\#(code)","error":"\#(text)"}"# }

    static let notCompleted = error("session_challenge_not_completed", "Session challenge has not been completed")
    static let alreadyUsed = error("session_challenge_already_used", "Session challenge has already been used")
    static let expired = error("session_challenge_expired", "Session challenge has expired")
    static let notFound = error("session_challenge_not_found", "Session challenge not found")
    static let invalidCode = error("invalid_verification_code", "Invalid verification code")
    static let userNotFound = error("user_not_found", "User not found")
    static let invalidRefresh = error("invalid_refresh_token", "Invalid refresh token")
    static let invalidAccess = error("invalid_access_token", "Invalid access token")

    /// `2026-12-02T18:00:00.123Z`: what WalletKit's Swift SDK decodes.
    static func isMillisecondTimestamp(_ value: JSONValue?) -> Bool {
        guard case .string(let text)? = value else { return false }
        return text.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil
    }

    static func post(
        _ mock: Harness,
        _ path: String,
        _ body: String? = nil,
        headers: [String: String] = project
    ) async throws -> HTTPResult {
        try await mock.send("POST", path, headers: headers, body: body)
    }

    static func createChallenge(_ mock: Harness, headers: [String: String] = project) async throws -> String {
        let result = try await post(mock, "/users/create-session-challenge", headers: headers)
        #expect(result.status == 200, "\(result.text)")
        guard case .string(let code)? = try result.json()["code"] else {
            throw TestingError(description: "no code in \(result.text)")
        }
        return code
    }

    struct Session {
        var id: String
        var access: String
        var refresh: String
        var json: JSONValue
    }

    /// Checks a `Session` body field by field (every required field, in the vendor's order).
    static func session(
        _ result: HTTPResult,
        user: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Session {
        #expect(result.status == 200, "\(result.text)", sourceLocation: sourceLocation)
        #expect(result.header("Content-Type") == "application/json", sourceLocation: sourceLocation)
        let json = try result.json()
        guard case .object(let members) = json else { throw TestingError(description: "not an object: \(result.text)") }
        #expect(
            members.map(\.key) == [
                "id", "created_at", "project_id", "user_id", "access_token", "access_token_expires_at",
                "refresh_token", "refresh_token_expires_at",
            ],
            sourceLocation: sourceLocation
        )
        #expect(json["project_id"] == .string("proj_demo"), sourceLocation: sourceLocation)
        #expect(json["user_id"] == .string(user), sourceLocation: sourceLocation)
        for key in ["created_at", "access_token_expires_at", "refresh_token_expires_at"] {
            #expect(isMillisecondTimestamp(json[key]), "\(key): \(result.text)", sourceLocation: sourceLocation)
        }
        guard case .string(let id)? = json["id"], case .string(let access)? = json["access_token"],
            case .string(let refresh)? = json["refresh_token"]
        else { throw TestingError(description: "no tokens in \(result.text)") }
        return Session(id: id, access: access, refresh: refresh, json: json)
    }

    // MARK: - create-session-challenge and the header rows

    @Test(arguments: TestingSetup.allCases)
    func createdChallengeIsNewPendingAndPollable(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let created = try await Self.post(mock, "/users/create-session-challenge")
        #expect(created.status == 200)
        #expect(created.header("Content-Type") == "application/json")
        let json = try created.json()
        guard case .object(let members) = json, case .string(let id)? = json["id"],
            case .string(let code)? = json["code"]
        else {
            Issue.record("not a SessionChallenge: \(created.text)")
            return
        }
        #expect(members.map(\.key) == ["id", "code", "expired", "completed"])
        #expect(code.wholeMatch(of: /[A-Z2-9]{4}-[A-Z2-9]{4}/) != nil, "\(code)")
        #expect(created.text == #"{"id":"\#(id)","code":"\#(code)","expired":false,"completed":false}"#)
        let polled = try await mock.get("/users/session-challenge?code=\(code)", headers: Self.project)
        #expect(polled.text == created.text)
        let other = try await mock.get(
            "/users/session-challenge?code=\(code)",
            headers: ["X-WalletKit-Project-ID": "proj_other"]
        )
        #expect(other.status == 403, "it belongs to the caller's project")
        var codes: Set<String> = [code]
        for _ in 0..<50 { codes.insert(try await Self.createChallenge(mock)) }
        #expect(codes.count == 51, "codes are unique in the copy")
    }

    @Test(arguments: TestingSetup.allCases, WalletKitEndpoint.login)
    func projectHeaderRowsComeFirstOnEveryEndpoint(setup: TestingSetup, endpoint: WalletKitEndpoint) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let missing = try await Self.post(mock, endpoint.path, "not json", headers: [:])
        #expect(missing.status == 401)
        #expect(missing.text == Self.error("missing_project_id", "X-WalletKit-Project-ID header is required"))
        let unknown = try await Self.post(
            mock,
            endpoint.path,
            "not json",
            headers: ["X-WalletKit-Project-ID": "proj_nope"]
        )
        #expect(unknown.status == 401)
        #expect(unknown.text == Self.error("invalid_project_id", "Invalid project ID"))
        let get = try await mock.get(endpoint.path, headers: Self.project)
        #expect(get.status == 405)
        #expect(get.header("Allow") == "POST")
        #expect(get.text == Self.error("method_not_allowed", "Method not allowed"))
    }

    // MARK: - The challenge flow

    @Test(arguments: TestingSetup.allCases)
    func challengeApprovePollVerifyRefreshLogout(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let code = try await Self.createChallenge(mock)
        let early = try await Self.post(mock, "/users/verify-login", #"{"session_challenge_code":"\#(code)"}"#)
        #expect(early.status == 400)
        #expect(early.text == Self.notCompleted)

        let approved = try await Self.post(mock, "/__admin/walletkit/session-challenges/\(code)/complete", headers: [:])
        #expect(approved.status == 200)
        #expect(
            try approved.json()["userId"] == .string("usr_alice"),
            "no user named yet: verify logs in the project's first user"
        )
        let polled = try await mock.get("/users/session-challenge?code=\(code)", headers: Self.project)
        #expect(try polled.json()["completed"] == .bool(true))

        let first = try Self.session(
            try await Self.post(mock, "/users/verify-login", #"{"session_challenge_code":"\#(code)"}"#),
            user: "usr_alice"
        )
        let again = try await Self.post(mock, "/users/verify-login", #"{"session_challenge_code":"\#(code)"}"#)
        #expect(again.status == 400)
        #expect(again.text == Self.alreadyUsed)

        let refreshed = try Self.session(
            try await Self.post(
                mock,
                "/users/refresh-token",
                #"{"session_id":"\#(first.id)","refresh_token":"\#(first.refresh)"}"#
            ),
            user: "usr_alice"
        )
        #expect(
            refreshed.id == first.id && refreshed.json["created_at"] == first.json["created_at"],
            "the same session"
        )
        #expect(refreshed.access != first.access && refreshed.refresh != first.refresh, "with new tokens")
        let reused = try await Self.post(
            mock,
            "/users/refresh-token",
            #"{"session_id":"\#(first.id)","refresh_token":"\#(first.refresh)"}"#
        )
        #expect(reused.status == 401)
        #expect(reused.text == Self.invalidRefresh)
        let oldAccess = try await Self.post(
            mock,
            "/users/logout",
            headers: Self.project.merging(["Authorization": "Bearer \(first.access)"]) { $1 }
        )
        #expect(oldAccess.status == 401, "a refresh replaces the access token too")
        #expect(oldAccess.text == Self.invalidAccess)

        let logout = try await Self.post(
            mock,
            "/users/logout",
            headers: Self.project.merging(["Authorization": "Bearer \(refreshed.access)"]) { $1 }
        )
        #expect(logout.status == 204)
        #expect(logout.body.isEmpty)
        let twice = try await Self.post(
            mock,
            "/users/logout",
            headers: Self.project.merging(["Authorization": "Bearer \(refreshed.access)"]) { $1 }
        )
        #expect(twice.status == 401)
        #expect(twice.text == Self.invalidAccess)
        let afterLogout = try await Self.post(
            mock,
            "/users/refresh-token",
            #"{"session_id":"\#(first.id)","refresh_token":"\#(refreshed.refresh)"}"#
        )
        #expect(afterLogout.status == 401)
        #expect(afterLogout.text == Self.invalidRefresh)
        let missing = try await Self.post(mock, "/users/logout")
        #expect(missing.status == 401)
        #expect(missing.text == Self.invalidAccess)

        let stored = try await mock.get("/__admin/walletkit/sessions/\(first.id)")
        #expect(stored.status == 200)
        #expect(try stored.json()["loggedOut"] == .bool(true))
        #expect(
            try stored.json()["session"] == refreshed.json,
            "the store API shows the session as the client got it last"
        )
    }

    @Test(arguments: TestingSetup.allCases)
    func magicLinkChallengeLogsInItsUserAndApprovalMayNameAnother(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let link = try await Self.post(mock, "/users/login-with-magic-link", #"{"email":"Bob@Example.com"}"#)
        #expect(link.status == 200)
        guard case .string(let code)? = try link.json()["code"] else {
            Issue.record("\(link.text)")
            return
        }
        #expect(try link.json()["completed"] == .bool(false))
        let approved = try await Self.post(mock, "/__admin/walletkit/session-challenges/\(code)/complete", headers: [:])
        #expect(try approved.json()["userId"] == .string("usr_bob"))
        _ = try Self.session(
            try await Self.post(mock, "/users/verify-login", #"{"session_challenge_code":"\#(code)"}"#),
            user: "usr_bob"
        )

        let other = try await Self.createChallenge(mock)
        let named = try await Self.post(
            mock,
            "/__admin/walletkit/session-challenges/\(other)/complete",
            #"{"userId":"usr_carol"}"#,
            headers: [:]
        )
        #expect(
            named.text
                == #"{"project":"proj_demo","challenge":{"id":"\#(try named.json()["challenge"]?["id"].map { if case .string(let s) = $0 { s } else { "" } } ?? "")","code":"\#(other)","expired":false,"completed":true},"userId":"usr_carol"}"#
        )
        _ = try Self.session(
            try await Self.post(mock, "/users/verify-login", #"{"session_challenge_code":"\#(other)"}"#),
            user: "usr_carol"
        )
        let spent = try await Self.post(mock, "/__admin/walletkit/session-challenges/\(other)/complete", headers: [:])
        #expect(spent.status == 409)
        let unknown = try await Self.post(mock, "/__admin/walletkit/session-challenges/NOPE/complete", headers: [:])
        #expect(unknown.status == 404)
        #expect(unknown.text == #"{"error":"no session challenge with code 'NOPE'"}"#)
        let badBody = try await Self.post(
            mock,
            "/__admin/walletkit/session-challenges/\(other)/complete",
            #"{"user":"x"}"#,
            headers: [:]
        )
        #expect(badBody.status == 400)

        let nobody = try await Self.post(mock, "/users/login-with-magic-link", #"{"email":"nobody@example.com"}"#)
        #expect(nobody.status == 400)
        #expect(nobody.text == Self.userNotFound)
        let otherProject = try await Self.post(
            mock,
            "/users/login-with-magic-link",
            #"{"email":"alice@example.com"}"#,
            headers: ["X-WalletKit-Project-ID": "proj_other"]
        )
        #expect(otherProject.text == Self.userNotFound, "alice logs in to proj_demo only")
    }

    @Test(arguments: TestingSetup.allCases)
    func seededChallengeRowsOfVerify(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        for (body, status, text) in [
            (#"{"session_challenge_code":"PENDING"}"#, 400, Self.notCompleted),
            (#"{"session_challenge_code":"EXPIRED"}"#, 400, Self.expired),
            (#"{"session_challenge_code":"NOPE"}"#, 400, Self.notFound),
            (
                #"{"session_challenge_code":"OTHER-PROJECT"}"#, 403,
                Self.error("forbidden", "Session challenge belongs to another project")
            ),
        ] {
            let result = try await Self.post(mock, "/users/verify-login", body)
            #expect(result.status == status, "\(body)")
            #expect(result.text == text, "\(body)")
        }
        _ = try Self.session(
            try await Self.post(mock, "/users/verify-login", #"{"session_challenge_code":"COMPLETED"}"#),
            user: "usr_alice"
        )
        #expect(
            try await Self.post(mock, "/users/verify-login", #"{"session_challenge_code":"COMPLETED"}"#).text
                == Self.alreadyUsed
        )
    }

    // MARK: - The email-code flow

    @Test(arguments: TestingSetup.allCases)
    func emailCodeFlowAndOutbox(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let sent = try await Self.post(mock, "/users/login-with-email", #"{"email":"ALICE@example.com"}"#)
        #expect(sent.status == 200)
        #expect(sent.text == #"{"user_id":"usr_alice"}"#)
        let bob = try await Self.post(mock, "/users/login-with-email", #"{"email":"bob@example.com"}"#)
        #expect(bob.text == #"{"user_id":"usr_bob"}"#)

        let outbox = try await mock.get("/__admin/walletkit/outbox")
        guard case .array(let messages)? = try outbox.json()["messages"], messages.count == 2 else {
            Issue.record("\(outbox.text)")
            return
        }
        #expect(messages.map { $0["userId"] } == [.string("usr_bob"), .string("usr_alice")], "newest first")
        guard case .object(let fields) = messages[1] else { return }
        #expect(fields.map(\.key) == ["email", "userId", "code", "sentAt"])
        #expect(
            messages[1]["email"] == .string("alice@example.com") && messages[1]["code"] == .string("123456"),
            "the seeded verificationCode"
        )
        #expect(Self.isMillisecondTimestamp(messages[1]["sentAt"]))
        guard case .string(let bobCode)? = messages[0]["code"] else { return }
        #expect(bobCode.wholeMatch(of: /[0-9]{6}/) != nil, "codeLength random digits: \(bobCode)")
        let filtered = try await mock.get("/__admin/walletkit/outbox?email=Bob@example.com")
        guard case .array(let bobs)? = try filtered.json()["messages"] else { return }
        #expect(bobs == [messages[0]])

        let wrong = try await Self.post(
            mock,
            "/users/verify-login",
            #"{"user_id":"usr_alice","verification_code":"000000"}"#
        )
        #expect(wrong.status == 400)
        #expect(wrong.text == Self.invalidCode)
        _ = try Self.session(
            try await Self.post(mock, "/users/verify-login", #"{"user_id":"usr_alice","verification_code":"123456"}"#),
            user: "usr_alice"
        )
        let reused = try await Self.post(
            mock,
            "/users/verify-login",
            #"{"user_id":"usr_alice","verification_code":"123456"}"#
        )
        #expect(reused.text == Self.invalidCode, "a code works once")
        _ = try Self.session(
            try await Self.post(
                mock,
                "/users/verify-login",
                #"{"user_id":"usr_bob","verification_code":"\#(bobCode)"}"#
            ),
            user: "usr_bob"
        )

        let unknownEmail = try await Self.post(mock, "/users/login-with-email", #"{"email":"nobody@example.com"}"#)
        #expect(unknownEmail.status == 400)
        #expect(unknownEmail.text == Self.userNotFound)
        let unknownUser = try await Self.post(
            mock,
            "/users/verify-login",
            #"{"user_id":"usr_nobody","verification_code":"123456"}"#
        )
        #expect(unknownUser.text == Self.userNotFound)
        let listed = try await mock.get("/__admin/walletkit/sessions")
        guard case .array(let sessions)? = try listed.json()["sessions"] else {
            Issue.record("\(listed.text)")
            return
        }
        #expect(sessions.count == 2)
    }

    // MARK: - Bad input

    @Test(arguments: TestingSetup.allCases)
    func badBodiesAre400NamingTheProblemAndIssueNothing(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let longEmail = String(repeating: "a", count: 300) + "@example.com"
        let rows: [(String, String, String)] = [
            ("/users/login-with-email", "not json", Self.error("invalid_body", "Request body must be a JSON object")),
            ("/users/login-with-email", "[1]", Self.error("invalid_body", "Request body must be a JSON object")),
            ("/users/login-with-email", "", Self.error("invalid_body", "Request body must be a JSON object")),
            ("/users/login-with-email", "{}", Self.error("missing_field", "'email' is required")),
            ("/users/login-with-email", #"{"email":null}"#, Self.error("missing_field", "'email' is required")),
            (
                "/users/login-with-email", #"{"email":7}"#,
                Self.error("invalid_field", "'email' must be a string, not number")
            ),
            (
                "/users/login-with-magic-link", #"{"email":"\#(longEmail)"}"#,
                Self.error("invalid_field", "'email' must be at most 254 bytes")
            ),
            (
                "/users/verify-login", "{}",
                Self.error("missing_field", "'session_challenge_code' or 'user_id' and 'verification_code' is required")
            ),
            (
                "/users/verify-login", #"{"user_id":"usr_alice"}"#,
                Self.error("missing_field", "'verification_code' is required")
            ),
            (
                "/users/verify-login", #"{"verification_code":"123456"}"#,
                Self.error("missing_field", "'user_id' is required")
            ),
            (
                "/users/verify-login",
                #"{"session_challenge_code":"COMPLETED","user_id":"usr_alice","verification_code":"123456"}"#,
                Self.error(
                    "conflicting_fields",
                    "Send either 'session_challenge_code' or 'user_id' and 'verification_code', not both"
                )
            ),
            (
                "/users/verify-login", #"{"session_challenge_code":true}"#,
                Self.error("invalid_field", "'session_challenge_code' must be a string, not boolean")
            ),
            (
                "/users/verify-login", #"{"siwe_message":"m","signature":"s"}"#,
                Self.error(
                    "unsupported_login_method",
                    "'siwe_message' logins are not mocked: use 'session_challenge_code' or 'user_id' and 'verification_code'"
                )
            ),
            (
                "/users/refresh-token", #"{"session_id":"x"}"#,
                Self.error("missing_field", "'refresh_token' is required")
            ),
            (
                "/users/refresh-token", #"{"refresh_token":"x"}"#,
                Self.error("missing_field", "'session_id' is required")
            ),
        ]
        for (path, body, text) in rows {
            let result = try await Self.post(mock, path, body)
            #expect(result.status == 400, "\(path) \(body)")
            #expect(result.text == text, "\(path) \(body)")
        }
        let listed = try await mock.get("/__admin/walletkit/sessions")
        #expect(try listed.json()["sessions"] == .array([]), "no bad request issued a session")
        let outbox = try await mock.get("/__admin/walletkit/outbox")
        #expect(outbox.text == #"{"messages":[]}"#, "and none sent a code")
        let stillThere = try await mock.get("/users/session-challenge?code=COMPLETED", headers: Self.project)
        #expect(stillThere.status == 200)
        _ = try Self.session(
            try await Self.post(mock, "/users/verify-login", #"{"session_challenge_code":"COMPLETED"}"#),
            user: "usr_alice"
        )
    }

    // MARK: - Concurrency, isolation, faults

    @Test(arguments: TestingSetup.allCases)
    func aCodeOrRefreshTokenUsedTwiceAtOnceIssuesOneSession(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        func race(_ path: String, _ body: String) async throws -> [Int] {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<16 { group.addTask { try await Self.post(mock, path, body).status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        let code = try await Self.createChallenge(mock)
        _ = try await Self.post(mock, "/__admin/walletkit/session-challenges/\(code)/complete", headers: [:])
        let verifies = try await race("/users/verify-login", #"{"session_challenge_code":"\#(code)"}"#)
        #expect(verifies.sorted() == [200] + Array(repeating: 400, count: 15))
        let listed = try await mock.get("/__admin/walletkit/sessions")
        guard case .array(let sessions)? = try listed.json()["sessions"], sessions.count == 1,
            case .string(let id)? = sessions[0]["session"]?["id"],
            case .string(let refresh)? = sessions[0]["session"]?["refresh_token"]
        else {
            Issue.record("\(listed.text)")
            return
        }
        let refreshes = try await race(
            "/users/refresh-token",
            #"{"session_id":"\#(id)","refresh_token":"\#(refresh)"}"#
        )
        #expect(refreshes.sorted() == [200] + Array(repeating: 401, count: 15))
    }

    @Test(arguments: TestingSetup.allCases)
    func workersNeverSeeEachOthersLoginsAndResetDropsThem(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let a = Self.project.merging(["X-Mock-Scenario": "default@a"]) { $1 }
        let b = Self.project.merging(["X-Mock-Scenario": "default@b"]) { $1 }
        let code = try await Self.createChallenge(mock, headers: a)
        #expect(try await mock.get("/users/session-challenge?code=\(code)", headers: b).text == Self.notFound)
        #expect(
            try await Self.post(
                mock,
                "/__admin/walletkit/session-challenges/\(code)/complete?scenario=default@b",
                headers: [:]
            ).status == 404
        )
        _ = try await Self.post(
            mock,
            "/__admin/walletkit/session-challenges/\(code)/complete?scenario=default@a",
            headers: [:]
        )
        _ = try Self.session(
            try await Self.post(mock, "/users/verify-login", #"{"session_challenge_code":"\#(code)"}"#, headers: a),
            user: "usr_alice"
        )
        _ = try await Self.post(mock, "/users/login-with-email", #"{"email":"alice@example.com"}"#, headers: a)
        // b's copy of the seeded COMPLETED challenge is unspent, and its outbox empty.
        _ = try Self.session(
            try await Self.post(mock, "/users/verify-login", #"{"session_challenge_code":"COMPLETED"}"#, headers: b),
            user: "usr_alice"
        )
        #expect(try await mock.get("/__admin/walletkit/outbox?scenario=default@b").text == #"{"messages":[]}"#)
        guard
            case .array(let listed)? = try await mock.get("/__admin/walletkit/sessions?scenario=default@a").json()[
                "sessions"
            ]
        else { return }
        #expect(listed.count == 1)
        #expect(try await Self.post(mock, "/__admin/reset?scenario=default@a", headers: [:]).status == 200)
        #expect(try await mock.get("/__admin/walletkit/sessions?scenario=default@a").json()["sessions"] == .array([]))
        #expect(try await mock.get("/__admin/walletkit/outbox?scenario=default@a").text == #"{"messages":[]}"#)
        #expect(try await mock.get("/users/session-challenge?code=\(code)", headers: a).text == Self.notFound)
    }

    static let faultSeed = """
        {"walletkit": {"projects": ["proj_demo"],
                       "sessionChallenges": [{"challenge": {"id": "sc_b", "code": "BOOM", "expired": false, "completed": true}},
                                             {"challenge": {"id": "sc_ok", "code": "OK", "expired": false, "completed": true}}],
                       "users": [{"userId": "u1", "email": "u1@example.com"}],
                       "settings": {"newChallengeTimeline": [{"afterPolls": 1, "set": {"expired": true}}]}},
         "faults": [{"match": {"path": "/users/verify-login", "code": "BOOM"}, "status": 500},
                    {"match": {"path": "/users/create-session-challenge"}, "status": 403, "times": 1}]}
        """

    @Test(arguments: TestingSetup.allCases)
    func faultsMatchPathAndBodyCodeAndMockStatusWorksOnEveryEndpoint(setup: TestingSetup) async throws {
        let mock = try Harness(setup, seeds: ["default": Self.faultSeed])
        defer { mock.stop() }
        let boom = try await Self.post(mock, "/users/verify-login", #"{"session_challenge_code":"BOOM"}"#)
        #expect(boom.status == 500)
        #expect(boom.text == #"{"code":null,"error":"Internal server error"}"#)
        #expect(try await Self.post(mock, "/users/verify-login", #"{"session_challenge_code":"OK"}"#).status == 200)
        let forbidden = try await Self.post(mock, "/users/create-session-challenge")
        #expect(forbidden.status == 403)
        #expect(forbidden.text == Self.error("forbidden", "Forbidden"))
        // The seed's newChallengeTimeline: the first answered poll sees it pending, the second expired.
        let code = try await Self.createChallenge(mock)
        #expect(
            try await mock.get("/users/session-challenge?code=\(code)", headers: Self.project).json()["expired"]
                == .bool(false)
        )
        #expect(
            try await mock.get("/users/session-challenge?code=\(code)", headers: Self.project).json()["expired"]
                == .bool(true)
        )
        #expect(
            try await Self.post(mock, "/users/verify-login", #"{"session_challenge_code":"\#(code)"}"#).text
                == Self.expired
        )

        let forced: [(WalletKitEndpoint, String, String)] = [
            (.createSessionChallenge, "400", Self.error("bad_request", "Bad request")),
            (.loginWithEmail, "400", Self.userNotFound),
            (.loginWithMagicLink, "400", Self.userNotFound),
            (.verifyLogin, "400", Self.notCompleted),
            (.verifyLogin, "403", Self.error("forbidden", "Session challenge belongs to another project")),
            (.refreshToken, "401", Self.error("missing_project_id", "X-WalletKit-Project-ID header is required")),
            (.logout, "500", #"{"code":null,"error":"Internal server error"}"#),
        ]
        for (endpoint, status, text) in forced {
            let result = try await Self.post(
                mock,
                endpoint.path,
                "{}",
                headers: Self.project.merging(["X-Mock-Status": status]) { $1 }
            )
            #expect(result.status == Int(status), "\(endpoint) \(status)")
            #expect(result.text == text, "\(endpoint) \(status)")
        }
        let journaled = try await mock.get("/__admin/requests/count?path=/users/verify-login&method=POST")
        #expect(try journaled.json()["count"] == .number("5"), "the journal records each call: \(journaled.text)")
    }
}

/// The challenge store's clock rules, on explicit scenario times (no waiting).
@Suite struct WalletKitChallengeClockTests {
    @Test func createdChallengesExpireAfterChallengeTtlOnTheScenarioClock() {
        var settings = WalletKitSettings()
        settings.challengeTtl = SeedDuration(micros: 5_000_000)
        var store = SessionChallengeStore(seed: WalletKitSeed())
        let created = store.create(project: "p", userId: nil, elapsedMicros: 1_000_000, settings: settings)
        #expect(store.poll(code: created.code, project: "p", elapsedMicros: 5_999_999) == .found(created))
        #expect(store.logIn(code: created.code, project: "p", elapsedMicros: 5_999_999) == .notCompleted)
        guard case .completed = store.approve(code: created.code, userId: "u", elapsedMicros: 5_999_999) else {
            Issue.record("not approved")
            return
        }
        var expired = created
        expired.expired = true
        expired.completed = true
        #expect(store.poll(code: created.code, project: "p", elapsedMicros: 6_000_000) == .found(expired))
        #expect(store.logIn(code: created.code, project: "p", elapsedMicros: 6_000_000) == .expired)
        #expect(store.approve(code: created.code, userId: nil, elapsedMicros: 6_000_000) == .expired)
    }

    @Test func newChallengeTimelineCountsFromCreation() {
        var settings = WalletKitSettings()
        settings.newChallengeTimeline = [
            TimelineStep(trigger: .after(SeedDuration(micros: 2_000_000)), setExpired: nil, setCompleted: true)
        ]
        var store = SessionChallengeStore(seed: WalletKitSeed())
        let created = store.create(project: "p", userId: "u", elapsedMicros: 10_000_000, settings: settings)
        #expect(store.logIn(code: created.code, project: "p", elapsedMicros: 11_999_999) == .notCompleted)
        #expect(store.logIn(code: created.code, project: "p", elapsedMicros: 12_000_000) == .loggedIn(userId: "u"))
        #expect(store.logIn(code: created.code, project: "p", elapsedMicros: 12_000_001) == .alreadyUsed)
    }

    @Test func walletKitSeedSectionsAreValidatedWithPathAndReason() {
        let rows: [(String, String, String)] = [
            (#"{"walletkit":{"users":[{"email":"a@b"}]}}"#, "$.walletkit.users[0].userId", "required"),
            (
                #"{"walletkit":{"users":[{"userId":"u","email":"nope"}]}}"#, "$.walletkit.users[0].email",
                "not an email address"
            ),
            (
                #"{"walletkit":{"users":[{"userId":"u","email":"a@b"},{"userId":"u","email":"c@d"}]}}"#,
                "$.walletkit.users[1].userId", "already used"
            ),
            (
                #"{"walletkit":{"users":[{"userId":"u","email":"a@b"},{"userId":"v","email":"A@b"}]}}"#,
                "$.walletkit.users[1].email", "already used"
            ),
            (
                #"{"walletkit":{"projects":["p"],"users":[{"userId":"u","email":"a@b","project":"q"}]}}"#,
                "$.walletkit.users[0].project", "not in walletkit.projects"
            ),
            (
                #"{"walletkit":{"users":[{"userId":"u","email":"a@b","extra":1}]}}"#, "$.walletkit.users[0].extra",
                "unknown field"
            ),
            (
                #"{"walletkit":{"settings":{"challengeTtl":"soon"}}}"#, "$.walletkit.settings.challengeTtl",
                "not a duration"
            ),
            (
                #"{"walletkit":{"settings":{"accessTokenTtl":"0s"}}}"#, "$.walletkit.settings.accessTokenTtl",
                "longer than 0"
            ),
            (#"{"walletkit":{"settings":{"codeLength":2}}}"#, "$.walletkit.settings.codeLength", "from 4 to 12"),
            (
                #"{"walletkit":{"settings":{"newChallengeTimeline":[{"set":{"completed":true}}]}}}"#,
                "$.walletkit.settings.newChallengeTimeline[0]", "afterPolls"
            ),
        ]
        for (text, path, reason) in rows {
            do {
                _ = try SeedParser.parse(Array(text.utf8), file: "seed.json")
                Issue.record("accepted: \(text)")
            } catch {
                #expect(
                    error.issues.contains { $0.path == path && $0.reason.contains(reason) },
                    "\(text): \(error.issues)"
                )
            }
        }
        let valid = try? SeedParser.parse(
            Array(
                #"{"walletkit":{"users":[{"userId":"u","email":"a@b","project":"p","verificationCode":"42"}],"settings":{"challengeTtl":"30s","codeLength":8}}}"#
                    .utf8
            ),
            file: "seed.json"
        )
        #expect(
            valid?.walletKit.users == [WalletKitUser(userId: "u", email: "a@b", project: "p", verificationCode: "42")]
        )
        #expect(valid?.walletKit.settings.challengeTtl == SeedDuration(micros: 30_000_000))
        #expect(valid?.walletKit.settings.codeLength == 8)
    }
}

/// Live only: the flow through URLSession, decoded the way WalletKit's generated Swift SDK decodes
/// (`Codable` models, dates with `yyyy-MM-dd'T'HH:mm:ss.SSSZZZZZ`, so the mock sends 3 fraction digits:
/// docs/decisions.md#walletkit).
@Suite struct WalletKitFoundationClientTests {
    struct Challenge: Codable {
        var id: String
        var code: String
        var expired: Bool
        var completed: Bool
    }
    struct Session: Codable {
        var id: String
        var createdAt: Date
        var projectId: String
        var userId: String
        var accessToken: String
        var accessTokenExpiresAt: Date
        var refreshToken: String
        var refreshTokenExpiresAt: Date

        enum CodingKeys: String, CodingKey {
            case id
            case createdAt = "created_at"
            case projectId = "project_id"
            case userId = "user_id"
            case accessToken = "access_token"
            case accessTokenExpiresAt = "access_token_expires_at"
            case refreshToken = "refresh_token"
            case refreshTokenExpiresAt = "refresh_token_expires_at"
        }
    }

    static let decoder: JSONDecoder = {
        let formatter = DateFormatter()
        formatter.calendar = Calendar(identifier: .iso8601)
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 0)
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSSZZZZZ"
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .formatted(formatter)
        return decoder
    }()

    @Test func challengeFlowDecodesAsTheSDKDecodes() async throws {
        let mock = try Harness(.live)
        defer { mock.stop() }
        let base = try #require(URL(string: mock.baseURL))
        let headers = ["X-WalletKit-Project-ID": "proj_demo", "Content-Type": "application/json"]
        func post(_ path: String, _ body: String?, extra: [String: String] = [:]) async throws -> HTTPResult {
            try await HTTPResult.fetch(
                "POST",
                base.appendingPathComponent(path),
                headers: headers.merging(extra) { $1 },
                body: body.map { Data($0.utf8) }
            )
        }
        let challenge = try Self.decoder.decode(
            Challenge.self,
            from: try await post("users/create-session-challenge", nil).body
        )
        #expect(try await post("__admin/walletkit/session-challenges/\(challenge.code)/complete", nil).status == 200)
        let verified = try await post("users/verify-login", #"{"session_challenge_code":"\#(challenge.code)"}"#)
        let session = try Self.decoder.decode(Session.self, from: verified.body)
        #expect(session.userId == "usr_alice" && session.projectId == "proj_demo")
        let lifetime = session.accessTokenExpiresAt.timeIntervalSince(session.createdAt)
        #expect(abs(lifetime - 3600) < 0.002, "accessTokenTtl 1h: \(lifetime)")
        #expect(abs(session.refreshTokenExpiresAt.timeIntervalSince(session.createdAt) - 30 * 86400) < 0.002)
        let refreshed = try Self.decoder.decode(
            Session.self,
            from: try await post(
                "users/refresh-token",
                #"{"session_id":"\#(session.id)","refresh_token":"\#(session.refreshToken)"}"#
            ).body
        )
        #expect(refreshed.id == session.id && refreshed.accessToken != session.accessToken)
        let logout = try await post("users/logout", nil, extra: ["Authorization": "Bearer \(refreshed.accessToken)"])
        #expect(logout.status == 204 && logout.body.isEmpty)
    }
}
