import Foundation
import SessionMockTesting
import SwiftProtobuf
import Testing

@testable import JSON
@testable import MockPipeline
@testable import Platform
@testable import Seeds
@testable import SessionMock
@testable import ZitadelAPI

/// The session lifecycle (docs/zitadel.md#the-session-lifecycle) over REST against the bundled default
/// scenario, each test in process and live.
@Suite struct ZitadelLifecycleTests {
    static let login = ["Authorization": "Bearer login-pat"]
    static let admin = ["Authorization": "Bearer admin-pat"]

    static func error(_ code: Int, _ text: String, _ id: String?) -> String {
        guard let id else { return #"{"code":\#(code),"message":"\#(text)"}"# }
        return
            #"{"code":\#(code),"message":"\#(text) (\#(id))","details":[{"@type":"type.googleapis.com/zitadel.v1.ErrorDetail","id":"\#(id)","message":"\#(text)"}]}"#
    }

    struct Created {
        var id: String
        var token: String
        var body: JSONValue
    }

    static func create(_ mock: Harness, _ body: String, headers: [String: String] = login) async throws -> Created {
        let result = try await mock.send("POST", "/v2/sessions", headers: headers, body: body)
        #expect(result.status == 201, "\(result.text)")
        let json = try result.json()
        guard case .string(let id)? = json["sessionId"], case .string(let token)? = json["sessionToken"] else {
            throw TestingError(description: "no sessionId/sessionToken in \(result.text)")
        }
        return Created(id: id, token: token, body: json)
    }

    @Test(arguments: TestingSetup.allCases)
    func loginFlowCreateSetGetListDelete(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let created = try await Self.create(
            mock,
            #"{"checks":{"user":{"loginName":"MINNIE@example.com"}},"userAgent":{"fingerprintId":"fp-1"}}"#
        )
        #expect(created.id.count == 18 && created.id.allSatisfy(\.isNumber))
        #expect(
            created.token.count >= 32
                && created.token.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
        )
        #expect(created.body["details"]?["sequence"] == .string("1"))
        #expect(created.body["details"]?["resourceOwner"] == .string("312908994858385304"))
        #expect(created.body["challenges"] == nil, "omitted when none was requested")

        let set = try await mock.send(
            "PATCH",
            "/v2/sessions/\(created.id)",
            headers: Self.login,
            body: #"{"checks":{"password":{"password":"V3ryS3cure!"}}}"#
        )
        #expect(set.status == 200, "\(set.text)")
        guard case .string(let newToken)? = try set.json()["sessionToken"] else {
            Issue.record("no token")
            return
        }
        #expect(newToken != created.token)
        #expect(try set.json()["details"]?["sequence"] == .string("2"))

        let got = try await mock.get(
            "/v2/sessions/\(created.id)?sessionToken=\(newToken)",
            headers: ["Authorization": "Bearer stranger-pat"]
        )
        #expect(got.status == 200)
        let session = try #require(try got.json()["session"])
        #expect(session["factors"]?["user"]?["loginName"] == .string("minnie@example.com"))
        #expect(session["factors"]?["password"]?["verifiedAt"] != nil)
        #expect(session["sequence"] == .string("2"))
        #expect(session["userAgent"] == .object([("fingerprintId", .string("fp-1"))]))
        let old = try await mock.get(
            "/v2/sessions/\(created.id)?sessionToken=\(created.token)",
            headers: ["Authorization": "Bearer stranger-pat"]
        )
        #expect(old.status == 403)
        #expect(
            old.text == Self.error(7, "Permission denied", "QUERY-dsfr3"),
            "the previous token no longer reads the session"
        )

        let listed = try await mock.send(
            "POST",
            "/v2/sessions/search",
            headers: ["Authorization": "Bearer user-pat"],
            body: #"{"queries":[{"idsQuery":{"ids":["\#(created.id)"]}}]}"#
        )
        #expect(listed.status == 200)
        #expect(try listed.json()["details"]?["totalResult"] == .string("1"))
        guard case .array(let sessions)? = try listed.json()["sessions"] else {
            Issue.record("no sessions")
            return
        }
        #expect(sessions == [session], "a listed session reads exactly as GetSession sends it")

        let deleted = try await mock.send(
            "DELETE",
            "/v2/sessions/\(created.id)",
            headers: ["Authorization": "Bearer user-pat"]
        )
        #expect(deleted.status == 200, "the checked user may delete its session")
        #expect(try deleted.json()["details"]?["sequence"] == .string("3"))
        let gone = try await mock.get("/v2/sessions/\(created.id)", headers: Self.admin)
        #expect(gone.status == 404)
        #expect(gone.text == Self.error(5, "Session does not exist", "QUERY-SFeaa"))
        for (method, path) in [("PATCH", "/v2/sessions/\(created.id)"), ("DELETE", "/v2/sessions/\(created.id)")] {
            let again = try await mock.send(method, path, headers: Self.admin, body: "{}")
            #expect(again.text == Self.error(5, "Session does not exist", "QUERY-SFeaa"), "\(method)")
        }
    }

    @Test(arguments: TestingSetup.allCases)
    func authAndPermissionRows(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let cases: [([String: String], Int, String)] = [
            ([:], 401, Self.error(16, "auth header missing", nil)),
            (["Authorization": "Basic x"], 401, Self.error(16, "invalid auth header", "AUTH-toLo1")),
            (["Authorization": "Bearer nope"], 401, Self.error(16, "Errors.Token.Invalid", "AUTH-7fs1e")),
            (
                ["Authorization": "Bearer stranger-pat"], 403,
                Self.error(7, "No matching permissions found", "AUTH-AWfge")
            ),
        ]
        for (headers, status, body) in cases {
            let result = try await mock.send("POST", "/v2/sessions", headers: headers, body: "{}")
            #expect(result.status == status && result.text == body, "\(headers): \(result.text)")
            // The auth rows come before the request's own rules.
            let invalid = try await mock.send("POST", "/v2/sessions", headers: headers, body: #"{"lifetime":"-5s"}"#)
            if status == 401 { #expect(invalid.text == body, "\(headers): \(invalid.text)") }
        }
        let created = try await Self.create(mock, "{}")
        let stranger = try await mock.send(
            "DELETE",
            "/v2/sessions/\(created.id)",
            headers: ["Authorization": "Bearer stranger-pat"]
        )
        #expect(stranger.text == Self.error(7, "No matching permissions found", "AUTH-AWfge"))
        let withToken = try await mock.send(
            "DELETE",
            "/v2/sessions/\(created.id)",
            headers: ["Authorization": "Bearer stranger-pat"],
            body: #"{"sessionToken":"\#(created.token)"}"#
        )
        #expect(withToken.status == 200, "the right session token allows the delete")
    }

    @Test(arguments: TestingSetup.allCases)
    func checkErrorsInTheirOrderAndNothingChanges(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let unknown = try await mock.send(
            "POST",
            "/v2/sessions",
            headers: Self.login,
            body: #"{"checks":{"user":{"userId":"nobody"}}}"#
        )
        #expect(unknown.status == 404 && unknown.text == Self.error(5, "User could not be found", "QUERY-Dfbg2"))
        let noUser = try await mock.send(
            "POST",
            "/v2/sessions",
            headers: Self.login,
            body: #"{"checks":{"password":{"password":"x"}}}"#
        )
        #expect(noUser.status == 400 && noUser.text == Self.error(9, "User ID missing", "COMMAND-Sfw3f"))

        let created = try await Self.create(mock, #"{"checks":{"user":{"userId":"312909037640286104"}}}"#)
        let other = try await mock.send(
            "PATCH",
            "/v2/sessions/\(created.id)",
            headers: Self.login,
            body: #"{"checks":{"user":{"loginName":"mickey@example.com"}}}"#
        )
        #expect(other.status == 400 && other.text == Self.error(9, "user change not possible", nil))
        // One failing check in a request: the other, valid one is not applied either.
        let mixed = try await mock.send(
            "PATCH",
            "/v2/sessions/\(created.id)",
            headers: Self.login,
            body:
                #"{"checks":{"password":{"password":"V3ryS3cure!"},"recoveryCode":{"code":"nope"}},"metadata":{"k":"dg=="}}"#
        )
        #expect(mixed.status == 400 && mixed.text == Self.error(3, "Invalid recovery code", "DOMAIN-6uvh0"))
        let after = try await mock.get("/v2/sessions/\(created.id)", headers: Self.admin)
        let session = try #require(try after.json()["session"])
        #expect(
            session["factors"]?["password"] == nil && session["metadata"] == nil && session["sequence"] == .string("1")
        )
        let token = try await mock.get("/v2/sessions/\(created.id)?sessionToken=\(created.token)", headers: Self.admin)
        #expect(token.status == 200, "a failed request issues no new token")
    }

    /// ZITADEL's REST gateway unmarshals with DiscardUnknown, as Connect does: a newer client's
    /// extra field never fails.
    @Test(arguments: TestingSetup.allCases)
    func restIgnoresUnknownFields(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let body = #"{"colour":"red","checks":{"user":{"loginName":"mickey@example.com","nickname":"m"}}}"#
        let created = try await mock.send("POST", "/v2/sessions", headers: Self.login, body: body)
        #expect(created.status == 201, "\(created.text)")
        let id = try #require(created.json()["sessionId"])
        guard case .string(let sessionId) = id else {
            Issue.record("no sessionId: \(created.text)")
            return
        }
        let read = try await mock.get("/v2/sessions/\(sessionId)", headers: Self.admin)
        #expect(try read.json()["session"]?["factors"]?["user"]?["loginName"] == .string("mickey@example.com"))
    }

    @Test(arguments: TestingSetup.allCases)
    func wrongPasswordsLockAfterLockoutAfterAndSeededLocksHold(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let wrong = #"{"checks":{"user":{"loginName":"mickey@example.com"},"password":{"password":"wrong"}}}"#
        for attempt in 1...3 {
            let result = try await mock.send("POST", "/v2/sessions", headers: Self.login, body: wrong)
            #expect(result.status == 400)
            #expect(
                result.text
                    == #"{"code":3,"message":"Password is invalid (COMMAND-3M0fs)","details":[{"@type":"type.googleapis.com/zitadel.v1.CredentialsCheckError","id":"COMMAND-3M0fs","message":"Password is invalid","failedAttempts":\#(attempt)}]}"#
            )
        }
        let right = #"{"checks":{"user":{"loginName":"mickey@example.com"},"password":{"password":"Ch33se!"}}}"#
        // A user check on a locked user: ZITADEL's IsEnabled refuses it, with the text its Login compares.
        let notActive = Self.error(9, "Errors.User.NotActive", "SESSION-Gj4ko")
        let locked = try await mock.send("POST", "/v2/sessions", headers: Self.login, body: right)
        #expect(locked.status == 400 && locked.text == notActive)
        let seeded = try await mock.send(
            "POST",
            "/v2/sessions",
            headers: Self.login,
            body: #"{"checks":{"user":{"loginName":"locked@example.com"},"password":{"password":"Wh4tever!"}}}"#
        )
        #expect(seeded.status == 400 && seeded.text == notActive)
        // Counted per scenario copy: another worker's copy is not locked, and a reset unlocks.
        let otherCopy = try await mock.send(
            "POST",
            "/v2/sessions",
            headers: Self.login.merging(["X-Mock-Scenario": "default@w2"]) { $1 },
            body: right
        )
        #expect(otherCopy.status == 201)
        #expect(try await mock.send("POST", "/__admin/reset").status == 200)
        #expect(try await mock.send("POST", "/v2/sessions", headers: Self.login, body: right).status == 201)
    }

    /// A session whose user was checked before the lock: its password checks say the user is locked.
    @Test(arguments: TestingSetup.allCases)
    func passwordChecksOfALockedUserOnAnEarlierSessionSayLocked(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let created = try await Self.create(mock, #"{"checks":{"user":{"loginName":"mickey@example.com"}}}"#)
        for attempt in 1...3 {
            let result = try await mock.send(
                "PATCH",
                "/v2/sessions/\(created.id)",
                headers: Self.login,
                body: #"{"checks":{"password":{"password":"wrong"}}}"#
            )
            #expect(
                result.status == 400 && result.text.hasSuffix(#""failedAttempts":\#(attempt)}]}"#),
                "\(result.text)"
            )
        }
        let right = try await mock.send(
            "PATCH",
            "/v2/sessions/\(created.id)",
            headers: Self.login,
            body: #"{"checks":{"password":{"password":"Ch33se!"}}}"#
        )
        #expect(right.status == 400 && right.text == Self.error(9, "User is locked", "COMMAND-JLK35"))
    }

    @Test(arguments: TestingSetup.allCases)
    func totpRecoveryOTPAndIntentChecks(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let secret = try #require(Base32.decode("JBSWY3DPEHPK3PXP"))
        let code = OneTimePassword.totp(secret: secret, unixSeconds: WallClock.nowMicros() / 1_000_000)
        let created = try await Self.create(
            mock,
            #"{"checks":{"user":{"loginName":"minnie@example.com"},"totp":{"code":"\#(code)"},"recoveryCode":{"code":"rc-1"},"idpIntent":{"idpIntentId":"intent-1","idpIntentToken":"intent-tok"},"otpSms":{"code":"424242"}}}"#
        )
        let session = try #require(
            try await mock.get("/v2/sessions/\(created.id)", headers: Self.admin).json()["session"]
        )
        for factor in ["user", "totp", "recoveryCode", "intent", "otpSms"] {
            #expect(session["factors"]?[factor] != nil, "\(factor)")
        }
        let reused = try await mock.send(
            "PATCH",
            "/v2/sessions/\(created.id)",
            headers: Self.login,
            body: #"{"checks":{"recoveryCode":{"code":"rc-1"}}}"#
        )
        #expect(reused.text == Self.error(3, "Invalid recovery code", "DOMAIN-6uvh0"), "each recovery code once")
        let badTotp = try await mock.send(
            "PATCH",
            "/v2/sessions/\(created.id)",
            headers: Self.login,
            body: #"{"checks":{"totp":{"code":"12345x"}}}"#
        )
        #expect(badTotp.text == Self.error(3, "Invalid code", "EVENT-8isk2"))
        // A requested email code replaces the seed's fixed one and is used up by its check.
        let challenged = try await mock.send(
            "PATCH",
            "/v2/sessions/\(created.id)",
            headers: Self.login,
            body: #"{"challenges":{"otpEmail":{"returnCode":{}}}}"#
        )
        guard case .string(let emailCode)? = try challenged.json()["challenges"]?["otpEmail"] else {
            Issue.record("no code: \(challenged.text)")
            return
        }
        #expect(emailCode.count == 6)
        let stale = try await mock.send(
            "PATCH",
            "/v2/sessions/\(created.id)",
            headers: Self.login,
            body: #"{"checks":{"otpEmail":{"code":"424242"}}}"#
        )
        #expect(stale.text == Self.error(3, "Code is invalid", "CODE-woT0xc"))
        let fresh = try await mock.send(
            "PATCH",
            "/v2/sessions/\(created.id)",
            headers: Self.login,
            body: #"{"checks":{"otpEmail":{"code":"\#(emailCode)"}}}"#
        )
        #expect(fresh.status == 200, "\(fresh.text)")
        let badIntent = try await mock.send(
            "PATCH",
            "/v2/sessions/\(created.id)",
            headers: Self.login,
            body: #"{"checks":{"idpIntent":{"idpIntentId":"intent-1","idpIntentToken":"wrong"}}}"#
        )
        #expect(badIntent.text == Self.error(3, "Intent has not succeeded", "COMMAND-Df4bw"))
    }

    @Test(arguments: TestingSetup.allCases)
    func codesSentWithoutReturnCodeAreInTheStoreAPIsInbox(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let created = try await Self.create(
            mock,
            #"{"checks":{"user":{"loginName":"minnie@example.com"}},"challenges":{"otpSms":{},"otpEmail":{"sendCode":{}}}}"#
        )
        #expect(created.body["challenges"] == .object([]), "nothing returned without returnCode")
        let inbox = try await mock.get("/__admin/zitadel/sessions/\(created.id)/challenges")
        #expect(inbox.status == 200)
        guard case .string(let sms)? = try inbox.json()["otpSms"],
            case .string(let email)? = try inbox.json()["otpEmail"]
        else {
            Issue.record("no codes: \(inbox.text)")
            return
        }
        #expect(sms.count == 6 && email.count == 6 && sms.allSatisfy(\.isNumber))
        let checked = try await mock.send(
            "PATCH",
            "/v2/sessions/\(created.id)",
            headers: Self.login,
            body: #"{"checks":{"otpSms":{"code":"\#(sms)"}}}"#
        )
        #expect(checked.status == 200, "\(checked.text)")
        let after = try await mock.get("/__admin/zitadel/sessions/\(created.id)/challenges")
        #expect(after.text == #"{"sessionId":"\#(created.id)","otpEmail":"\#(email)"}"#, "a check uses its code up")
        let missing = try await mock.get("/__admin/zitadel/sessions/nope/challenges")
        #expect(missing.status == 404 && missing.text == #"{"error":"no session with id 'nope'"}"#)
    }

    @Test(arguments: TestingSetup.allCases)
    func webAuthNChallengeThenAssertion(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let created = try await Self.create(
            mock,
            #"{"checks":{"user":{"loginName":"minnie@example.com"}},"challenges":{"webAuthN":{"domain":"login.example.com","userVerificationRequirement":"USER_VERIFICATION_REQUIREMENT_REQUIRED"}}}"#
        )
        let options = try #require(
            created.body["challenges"]?["webAuthN"]?["publicKeyCredentialRequestOptions"]?["publicKey"]
        )
        #expect(options["rpId"] == .string("login.example.com"))
        #expect(options["userVerification"] == .string("required"))
        // A google.protobuf.Struct: its keys have no order on the wire.
        guard case .array(let allowed)? = options["allowCredentials"] else {
            Issue.record("no allowCredentials")
            return
        }
        #expect(
            allowed.count == 1 && allowed.first?["id"] == .string("cred-1")
                && allowed.first?["type"] == .string("public-key")
        )
        guard case .string(let challenge)? = options["challenge"] else {
            Issue.record("no challenge")
            return
        }
        func assertion(_ challenge: String) -> String {
            let clientData = ZitadelSessionLifecycle.base64URLEncode(
                Array(#"{"type":"webauthn.get","challenge":"\#(challenge)","origin":"https://login.example.com"}"#.utf8)
            )
            return
                #"{"checks":{"webAuthN":{"credentialAssertionData":{"id":"cred-1","rawId":"cred-1","type":"public-key","response":{"clientDataJSON":"\#(clientData)","authenticatorData":"AA","signature":"AA"}}}}}"#
        }
        let wrong = try await mock.send(
            "PATCH",
            "/v2/sessions/\(created.id)",
            headers: Self.login,
            body: assertion("other")
        )
        #expect(wrong.text == Self.error(3, "Error on validating login credentials", "WEBAU-3M9si"))
        let right = try await mock.send(
            "PATCH",
            "/v2/sessions/\(created.id)",
            headers: Self.login,
            body: assertion(challenge)
        )
        #expect(right.status == 200, "\(right.text)")
        let session = try #require(
            try await mock.get("/v2/sessions/\(created.id)", headers: Self.admin).json()["session"]
        )
        #expect(session["factors"]?["webAuthN"]?["userVerified"] == .bool(true))
        let again = try await mock.send(
            "PATCH",
            "/v2/sessions/\(created.id)",
            headers: Self.login,
            body: assertion(challenge)
        )
        #expect(
            again.text == Self.error(9, "Session without WebAuthN challenge", "COMMAND-Ioqu5"),
            "a challenge is answered once"
        )
    }

    @Test(arguments: TestingSetup.allCases)
    func lifetimeMetadataAndBadBodies(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let created = try await Self.create(mock, #"{"lifetime":"18000s","metadata":{"tenant":"YWNtZQ=="}}"#)
        let session = try #require(
            try await mock.get("/v2/sessions/\(created.id)", headers: Self.admin).json()["session"]
        )
        guard case .string(let creation)? = session["creationDate"],
            case .string(let expiration)? = session["expirationDate"]
        else {
            Issue.record("no dates")
            return
        }
        #expect(
            try #require(RFC3339.parse(expiration)).micros - (try #require(RFC3339.parse(creation))).micros
                == 18_000_000_000
        )
        #expect(session["metadata"] == .object([("tenant", .string("YWNtZQ=="))]))
        let bad: [(String, String)] = [
            (#"{"lifetime":"-5s"}"#, "invalid CreateSessionRequest.Lifetime: value must be greater than 0s"),
            (#"{"lifetime":"3155760001s"}"#, "invalid CreateSessionRequest.Lifetime: value must be at most 100 years"),
            (
                #"{"checks":{"totp":{"code":"1"}}}"#,
                "invalid CheckTOTP.Code: value length must be between 6 and 6 runes, inclusive"
            ),
        ]
        for (body, message) in bad {
            let result = try await mock.send("POST", "/v2/sessions", headers: Self.login, body: body)
            #expect(
                result.status == 400 && result.text == #"{"code":3,"message":"\#(message)"}"#,
                "\(body): \(result.text)"
            )
        }
        for body in ["{not json", #"{"checks":{"user":{"userId":5}}}"#, #"[]"#] {
            let result = try await mock.send("POST", "/v2/sessions", headers: Self.login, body: body)
            #expect(result.status == 400 && (try? result.json()["code"]) == .number("3"), "\(body): \(result.text)")
        }
        let listed = try await mock.send("POST", "/v2/sessions/search", headers: Self.login, body: "{}")
        #expect(
            try listed.json()["details"]?["totalResult"] == .string("1"),
            "bad bodies created nothing: \(listed.text)"
        )
    }

    @Test(arguments: TestingSetup.allCases)
    func workersNeverSeeEachOthersSessionsAndResetDropsThem(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let workers = ["default@a", "default@b"]
        var ids: [String: String] = [:]
        for worker in workers {
            ids[worker] = try await Self.create(
                mock,
                "{}",
                headers: Self.login.merging(["X-Mock-Scenario": worker]) { $1 }
            ).id
        }
        for worker in workers {
            let listed = try await mock.send(
                "POST",
                "/v2/sessions/search",
                headers: Self.login.merging(["X-Mock-Scenario": worker]) { $1 },
                body: "{}"
            )
            guard case .array(let sessions)? = try listed.json()["sessions"] else {
                Issue.record("none")
                continue
            }
            #expect(sessions.map { $0["id"] } == [.string(ids[worker]!)], "\(worker)")
        }
        let journaled = try await mock.get("/__admin/requests/count?path=/v2/sessions&method=POST&scenario=default@a")
        #expect(try journaled.json()["count"] == .number("1"), "the journal records each call with its copy")
        let store = try await mock.get("/__admin/zitadel/sessions/\(ids["default@a"]!)?scenario=default@a")
        #expect(store.status == 200, "the store API lists created sessions")
        #expect(try await mock.send("POST", "/__admin/reset?scenario=default@a").status == 200)
        #expect(try await mock.get("/__admin/zitadel/sessions/\(ids["default@a"]!)?scenario=default@a").status == 404)
        #expect(try await mock.get("/__admin/zitadel/sessions/\(ids["default@b"]!)?scenario=default@b").status == 200)
    }

    @Test(arguments: TestingSetup.allCases)
    func listQueriesPagingAndOrder(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        var ids: [String] = []
        for _ in 0..<3 {
            ids.append(try await Self.create(mock, #"{"checks":{"user":{"loginName":"minnie@example.com"}}}"#).id)
        }
        func list(_ body: String) async throws -> (total: JSONValue?, ids: [JSONValue?]) {
            let result = try await mock.send("POST", "/v2/sessions/search", headers: Self.login, body: body)
            #expect(result.status == 200, "\(result.text)")
            let json = try result.json()
            guard case .array(let sessions)? = json["sessions"] else { return (json["details"]?["totalResult"], []) }
            return (json["details"]?["totalResult"], sessions.map { $0["id"] })
        }
        let newest = try await list(#"{"queries":[{"creatorQuery":{}}]}"#)
        #expect(
            newest.total == .string("3") && newest.ids == ids.reversed().map { .string($0) },
            "own sessions, newest first"
        )
        let paged = try await list(
            #"{"query":{"offset":"1","limit":1,"asc":true},"queries":[{"userIdQuery":{"id":"312909037640286104"}},{"creatorQuery":{"id":"8888"}}]}"#
        )
        #expect(paged.total == .string("3") && paged.ids == [.string(ids[1])])
        let none = try await list(#"{"queries":[{"idsQuery":{"ids":["nope"]}}]}"#)
        #expect(none.total == nil && none.ids.isEmpty, "proto3 JSON omits a zero total and an empty list")
    }
}

extension ZitadelLifecycleTests {
    /// The issue's bad-input row: 10,000 sessions in one copy, created by 4 concurrent workers,
    /// all distinct, all listed, paged by the default limit. In process: the count is the point.
    @Test func tenThousandSessionsInOneCopy() async throws {
        let mock = try Harness(.router)
        defer { mock.stop() }
        let headers = Self.login.merging(["X-Mock-Scenario": "default@many"]) { $1 }
        let ids = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var ids: [String] = []
                    for _ in 0..<2_500 {
                        let result = try await mock.send("POST", "/v2/sessions", headers: headers, body: "{}")
                        guard result.status == 201, case .string(let id)? = try result.json()["sessionId"] else {
                            throw TestingError(description: "create failed: \(result.status) \(result.text)")
                        }
                        ids.append(id)
                    }
                    return ids
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(Set(ids).count == 10_000, "every session id is distinct")
        let listed = try await mock.send("POST", "/v2/sessions/search", headers: headers, body: "{}")
        let json = try listed.json()
        #expect(json["details"]?["totalResult"] == .string("10000"))
        guard case .array(let page)? = json["sessions"] else {
            Issue.record("no sessions: \(listed.text.prefix(200))")
            return
        }
        #expect(page.count == 1_000, "the default limit pages the list")
        let other = try await mock.send("POST", "/v2/sessions/search", headers: Self.login, body: "{}")
        #expect(
            other.text.contains(#""totalResult""#) == false,
            "the scenario itself saw none of them: \(other.text.prefix(200))"
        )
    }
}

/// The same lifecycle over Connect (JSON, proto) and gRPC-Web (binary, text), with ZITADEL's
/// generated types as a client would use them: create → set password → get → list → delete → get 404.
@Suite struct ZitadelLifecycleRPCTests {
    static let service = "/zitadel.session.v2.SessionService/"

    static func call<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ mock: Harness,
        _ encoding: RPCEncoding,
        _ rpc: String,
        _ request: Request,
        as: Response.Type,
        token: String = "login-pat"
    ) async throws -> Result<Response, RPCError> {
        let body: Data =
            switch encoding {
            case .connectJSON: try request.jsonUTF8Data()
            case .connectProto: try request.serializedData()
            case .grpcWeb, .grpc: Data(GRPCFraming.frame(0, try request.serializedBytes()))
            case .grpcWebText:
                Data(Data(GRPCFraming.frame(0, try request.serializedBytes())).base64EncodedString().utf8)
            }
        // As ZITADEL's SDKs send it: no Connect-Protocol-Version header.
        let http = try await mock.send(
            "POST",
            service + rpc,
            headers: ["Content-Type": encoding.contentType, "Authorization": "Bearer \(token)"],
            bytes: [UInt8](body)
        )
        let answer = RPCAnswer(encoding: encoding, http: http)
        switch encoding {
        case .connectJSON where http.status == 200: return .success(try Response(jsonUTF8Data: http.body))
        case .connectProto where http.status == 200: return .success(try Response(serializedBytes: http.body))
        case .grpcWeb, .grpcWebText:
            let frames = try answer.grpcFrames()
            if let data = frames.data, GRPCWebFrames.trailers(frames.trailer)["grpc-status"] == "0" {
                return .success(try Response(serializedBytes: data))
            }
            return .failure(try answer.error())
        case .grpc where http.trailers["grpc-status"] == "0":
            let (frames, _) = GRPCFraming.frames(in: [UInt8](http.body))
            guard let message = frames.first?.message else { throw RPCProtocolFailure(description: "no message") }
            return .success(try Response(serializedBytes: message))
        default: return .failure(try answer.error())
        }
    }

    @Test(arguments: TestingSetup.allCases, RPCEncoding.allCases)
    func loginFlow(setup: TestingSetup, encoding: RPCEncoding) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let created = try await Self.call(
            mock,
            encoding,
            "CreateSession",
            Zitadel_Session_V2_CreateSessionRequest.with {
                $0.checks.user.loginName = "minnie@example.com"
            },
            as: Zitadel_Session_V2_CreateSessionResponse.self
        ).get()
        #expect(created.details.sequence == 1 && created.details.resourceOwner == "312908994858385304")

        let wrong = try await Self.call(
            mock,
            encoding,
            "SetSession",
            Zitadel_Session_V2_SetSessionRequest.with {
                $0.sessionID = created.sessionID
                $0.checks.password.password = "nope"
            },
            as: Zitadel_Session_V2_SetSessionResponse.self
        )
        guard case .failure(let error) = wrong else {
            Issue.record("a wrong password was accepted")
            return
        }
        #expect(
            error.code == 3 && error.message == "Password is invalid (COMMAND-3M0fs)"
                && error.detail?.id == "COMMAND-3M0fs" && error.detail?.message == "Password is invalid"
                && error.failedAttempts == 1,
            "a wrong password's detail is a CredentialsCheckError counting the attempts: \(error)"
        )

        let set = try await Self.call(
            mock,
            encoding,
            "SetSession",
            Zitadel_Session_V2_SetSessionRequest.with {
                $0.sessionID = created.sessionID
                $0.checks.password.password = "V3ryS3cure!"
            },
            as: Zitadel_Session_V2_SetSessionResponse.self
        ).get()
        #expect(set.sessionToken != created.sessionToken && set.details.sequence == 2)

        let got = try await Self.call(
            mock,
            encoding,
            "GetSession",
            Zitadel_Session_V2_GetSessionRequest.with {
                $0.sessionID = created.sessionID
                $0.sessionToken = set.sessionToken
            },
            as: Zitadel_Session_V2_GetSessionResponse.self,
            token: "stranger-pat"
        ).get()
        #expect(got.session.factors.user.loginName == "minnie@example.com" && got.session.factors.hasPassword)

        let listed = try await Self.call(
            mock,
            encoding,
            "ListSessions",
            Zitadel_Session_V2_ListSessionsRequest.with {
                $0.queries = [.with { $0.idsQuery = .with { $0.ids = [created.sessionID] } }]
            },
            as: Zitadel_Session_V2_ListSessionsResponse.self
        ).get()
        #expect(
            listed.details.totalResult == 1 && listed.sessions == [got.session],
            "a listed session is the one GetSession reads"
        )

        // Created over this transport, read back over REST: the same session.
        let rest = try await mock.get(
            "/v2/sessions/\(created.sessionID)",
            headers: ["Authorization": "Bearer admin-pat"]
        )
        #expect(try Zitadel_Session_V2_GetSessionResponse(jsonUTF8Data: rest.body).session == got.session)

        let deleted = try await Self.call(
            mock,
            encoding,
            "DeleteSession",
            Zitadel_Session_V2_DeleteSessionRequest.with {
                $0.sessionID = created.sessionID
            },
            as: Zitadel_Session_V2_DeleteSessionResponse.self,
            token: "admin-pat"
        ).get()
        #expect(deleted.details.sequence == 3)
        let gone = try await Self.call(
            mock,
            encoding,
            "GetSession",
            Zitadel_Session_V2_GetSessionRequest.with {
                $0.sessionID = created.sessionID
            },
            as: Zitadel_Session_V2_GetSessionResponse.self,
            token: "admin-pat"
        )
        guard case .failure(let missing) = gone else {
            Issue.record("deleted session still read")
            return
        }
        #expect(missing.code == 5 && missing.detail?.id == "QUERY-SFeaa")
    }
}

/// The lifecycle's fault rules by `rpc` and `loginName`, and `X-Mock-Status`, on every transport.
@Suite struct ZitadelLifecycleFaultTests {
    static let seed = #"""
        {"zitadel":{"tokens":[{"token":"t","userId":"svc","permissions":["session.write","session.read"]}],
          "users":[{"userId":"u1","loginName":"Ann@example.com"},{"userId":"u2","loginName":"bob@example.com"}]},
         "faults":[{"match":{"api":"zitadel","rpc":"CreateSession","loginName":"ann@EXAMPLE.com"},"status":500},
                   {"match":{"rpc":"ListSessions"},"status":403}]}
        """#

    @Test(arguments: TestingSetup.allCases)
    func faultRulesMatchRPCAndLoginNameOnEveryTransport(setup: TestingSetup) async throws {
        let mock = try Harness(setup, seeds: ["default": Self.seed])
        defer { mock.stop() }
        let internalError = ZitadelLifecycleTests.error(13, "An internal error occurred", "QUERY-SAder")
        let ann = #"{"checks":{"user":{"loginName":"ann@example.com"}}}"#
        let rest = try await mock.send("POST", "/v2/sessions", headers: ["Authorization": "Bearer t"], body: ann)
        #expect(rest.status == 500 && rest.text == internalError)
        let bob = try await mock.send(
            "POST",
            "/v2/sessions",
            headers: ["Authorization": "Bearer t"],
            body: #"{"checks":{"user":{"loginName":"bob@example.com"}}}"#
        )
        #expect(bob.status == 201, "another login name is not matched")
        let connect = try await mock.send(
            "POST",
            "/zitadel.session.v2.SessionService/CreateSession",
            headers: ["Authorization": "Bearer t", "Content-Type": "application/json"],
            body: ann
        )
        #expect(connect.status == 500)
        #expect(try connect.json()["code"] == .string("internal"))
        let list = try await mock.send(
            "POST",
            "/v2/sessions/search",
            headers: ["Authorization": "Bearer t"],
            body: "{}"
        )
        #expect(list.status == 403 && list.text == ZitadelLifecycleTests.error(7, "Permission denied", "QUERY-dsfr3"))
        let get = try await mock.get("/v2/sessions/nope", headers: ["Authorization": "Bearer t"])
        #expect(get.status == 404, "a ListSessions rule leaves GetSession alone")
    }

    @Test(arguments: TestingSetup.allCases)
    func mockStatusWorksOnEveryRPC(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let headers = ["Authorization": "Bearer login-pat", "X-Mock-Status": "404"]
        for (method, path) in [
            ("POST", "/v2/sessions"), ("POST", "/v2/sessions/search"), ("PATCH", "/v2/sessions/x"),
            ("DELETE", "/v2/sessions/x"),
        ] {
            let result = try await mock.send(method, path, headers: headers, body: "{}")
            #expect(
                result.status == 404
                    && result.text == ZitadelLifecycleTests.error(5, "Session does not exist", "QUERY-SFeaa"),
                "\(method) \(path)"
            )
        }
        for rpc in ["CreateSession", "SetSession", "DeleteSession", "ListSessions"] {
            let result = try await mock.send(
                "POST",
                "/zitadel.session.v2.SessionService/\(rpc)",
                headers: headers.merging(["Content-Type": "application/json"]) { $1 },
                body: "{}"
            )
            #expect(
                result.status == 404 && (try? result.json()["code"]) == .string("not_found"),
                "\(rpc): \(result.text)"
            )
        }
        let listed = try await mock.send(
            "POST",
            "/v2/sessions/search",
            headers: ["Authorization": "Bearer login-pat"],
            body: "{}"
        )
        #expect((try? listed.json()["details"]?["totalResult"]) == nil, "forced answers created nothing")
    }

    @Test func unknownRPCInAFaultRuleIsRefused() {
        do {
            _ = try SeedParser.parse(
                Array(#"{"faults":[{"match":{"rpc":"MakeSession"},"status":500}]}"#.utf8),
                file: "f.json"
            )
            Issue.record("accepted")
        } catch {
            #expect(error.issues.map(\.path) == ["$.faults[0].match.rpc"])
            #expect(error.issues.first?.reason.hasPrefix("unknown rpc 'MakeSession'") == true)
        }
    }
}

/// The lifecycle's error rows in every RPC encoding: the same code, message and ErrorDetail as over REST.
@Suite struct ZitadelLifecycleRPCErrorTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var token: String
        var request: Zitadel_Session_V2_CreateSessionRequest
        var code: Int
        var message: String
        var id: String?
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        Row(
            name: "no session.write",
            token: "stranger-pat",
            request: .init(),
            code: 7,
            message: "No matching permissions found (AUTH-AWfge)",
            id: "AUTH-AWfge"
        ),
        Row(
            name: "unknown token",
            token: "nope",
            request: .init(),
            code: 16,
            message: "Errors.Token.Invalid (AUTH-7fs1e)",
            id: "AUTH-7fs1e"
        ),
        Row(
            name: "unknown user",
            token: "login-pat",
            request: .with { $0.checks.user.userID = "nobody" },
            code: 5,
            message: "User could not be found (QUERY-Dfbg2)",
            id: "QUERY-Dfbg2"
        ),
        Row(
            name: "password without user",
            token: "login-pat",
            request: .with { $0.checks.password.password = "x" },
            code: 9,
            message: "User ID missing (COMMAND-Sfw3f)",
            id: "COMMAND-Sfw3f"
        ),
        Row(
            name: "seeded lock",
            token: "login-pat",
            request: .with {
                $0.checks.user.loginName = "locked@example.com"
                $0.checks.password.password = "Wh4tever!"
            },
            code: 9,
            message: "Errors.User.NotActive (SESSION-Gj4ko)",
            id: "SESSION-Gj4ko"
        ),
        Row(
            name: "TOTP code length",
            token: "login-pat",
            request: .with { $0.checks.totp.code = "1" },
            code: 3,
            message: "invalid CheckTOTP.Code: value length must be between 6 and 6 runes, inclusive",
            id: nil
        ),
        Row(
            name: "negative lifetime",
            token: "login-pat",
            request: .with { $0.lifetime = .init(seconds: -5) },
            code: 3,
            message: "invalid CreateSessionRequest.Lifetime: value must be greater than 0s",
            id: nil
        ),
    ]

    @Test(arguments: RPCEncoding.allCases, rows)
    func errorRowInEveryEncoding(encoding: RPCEncoding, row: Row) async throws {
        let mock = try Harness(.router)
        defer { mock.stop() }
        let answer = try await ZitadelLifecycleRPCTests.call(
            mock,
            encoding,
            "CreateSession",
            row.request,
            as: Zitadel_Session_V2_CreateSessionResponse.self,
            token: row.token
        )
        guard case .failure(let error) = answer else {
            Issue.record("\(row.name): accepted")
            return
        }
        #expect(error.code == row.code && error.message == row.message, "\(error)")
        #expect(error.detail?.id == row.id)
        let rest = try await mock.send(
            "POST",
            "/v2/sessions",
            headers: ["Authorization": "Bearer \(row.token)"],
            body: try row.request.jsonString()
        )
        #expect(try rest.json()["message"] == .string(row.message), "REST says the same")
    }

    @Test(arguments: TestingSetup.allCases)
    func listDateAndUserAgentQueries(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let first = try await ZitadelLifecycleTests.create(
            mock,
            #"{"userAgent":{"fingerprintId":"phone"},"lifetime":"60s"}"#
        )
        let second = try await ZitadelLifecycleTests.create(mock, #"{"userAgent":{"fingerprintId":"laptop"}}"#)
        func ids(_ query: String) async throws -> [String] {
            let result = try await mock.send(
                "POST",
                "/v2/sessions/search",
                headers: ZitadelLifecycleTests.login,
                body: #"{"queries":[\#(query)]}"#
            )
            guard case .array(let sessions)? = try result.json()["sessions"] else { return [] }
            return sessions.compactMap { if case .string(let id)? = $0["id"] { id } else { nil } }
        }
        #expect(try await ids(#"{"userAgentQuery":{"fingerprintId":"phone"}}"#) == [first.id])
        #expect(
            try await ids(
                #"{"expirationDateQuery":{"expirationDate":"2000-01-01T00:00:00Z","method":"TIMESTAMP_QUERY_METHOD_GREATER"}}"#
            ) == [first.id],
            "a session without expirationDate matches no date comparison"
        )
        #expect(
            try await ids(
                #"{"creationDateQuery":{"creationDate":"2000-01-01T00:00:00Z","method":"TIMESTAMP_QUERY_METHOD_GREATER_OR_EQUALS"}}"#
            ) == [second.id, first.id]
        )
        #expect(
            try await ids(
                #"{"creationDateQuery":{"creationDate":"2000-01-01T00:00:00Z","method":"TIMESTAMP_QUERY_METHOD_LESS"}}"#
            ).isEmpty
        )
        let noAgent = try await mock.send(
            "POST",
            "/v2/sessions/search",
            headers: ZitadelLifecycleTests.login,
            body: #"{"queries":[{"userAgentQuery":{}}]}"#
        )
        #expect(noAgent.status == 400 && (try? noAgent.json()["code"]) == .number("3"))
    }
}
