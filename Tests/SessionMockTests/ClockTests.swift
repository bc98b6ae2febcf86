import Foundation
import SessionMockTesting
import SwiftProtobuf
import Testing

@testable import JSON
@testable import Platform
@testable import Seeds
@testable import SessionMock
@testable import Store
@testable import ZitadelAPI

/// Each copy's clock and random source (docs/control-api.md#clock, docs/seeds.md#clock-and-randomness):
/// `/__admin/clock`'s rows with exact bodies, everything time-based reading the copy's clock, and
/// seeded runs that answer the same bytes twice. Every test runs in process, live and over HTTP/2.
@Suite struct ClockTests {
    static let project = Harness.project
    static let login = ["Authorization": "Bearer login-pat"]
    static let admin = Harness.admin
    static let newYear = "2026-01-01T00:00:00Z"
    static let newYearMicros: Int64 = 1_767_225_600_000_000

    /// POST `/__admin/clock` with `body`.
    static func move(_ mock: Harness, _ body: String, scenario: String? = nil) async throws -> HTTPResult {
        try await mock.send("POST", path(scenario), body: body)
    }

    static func path(_ scenario: String?) -> String {
        scenario.map { "/__admin/clock?scenario=\($0)" } ?? "/__admin/clock"
    }

    static func reading(_ mock: Harness, scenario: String? = nil) async throws -> JSONValue {
        let result = try await mock.get(path(scenario))
        #expect(result.status == 200, "\(result.text)")
        #expect(result.header("Content-Type") == "application/json")
        return try result.json()
    }

    // MARK: - The route

    @Test(arguments: TestingSetup.allCases)
    func getPostAndDeleteAnswerTheCopysClock(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let start = try await Self.reading(mock)
        guard case .object(let members) = start else { throw TestingError(description: "not an object") }
        #expect(members.map(\.key) == ["scenario", "now", "offsetMs", "frozen"])
        #expect(start["scenario"] == .string("default"))
        #expect(start["offsetMs"] == .number("0"))
        #expect(start["frozen"] == .bool(false))

        let frozen = try await Self.move(mock, #"{"set":"\#(Self.newYear)","freeze":true}"#)
        #expect(frozen.status == 200)
        let offset = try #require(frozen.json()["offsetMs"]).numberValue
        #expect(offset < -24 * 3_600_000, "the new year is in the past: \(frozen.text)")
        #expect(
            frozen.text == #"{"scenario":"default","now":"2026-01-01T00:00:00Z","offsetMs":\#(offset),"frozen":true}"#
        )
        #expect(try await Self.reading(mock)["now"] == .string(Self.newYear), "frozen: no time passes")

        // set, then advance, then freeze, whatever order the body gives them in.
        let combined = try await Self.move(mock, #"{"freeze":false,"advance":"1h30m","set":"2026-03-01T12:00:00Z"}"#)
        #expect(combined.status == 200)
        #expect(try combined.json()["frozen"] == .bool(false))
        let running = try await Self.move(mock, #"{"freeze":true}"#)
        let runningNow = try #require(try running.json()["now"]?.stringValue)
        let runningMicros = try #require(RFC3339.parse(runningNow)).micros
        #expect(runningMicros >= 1_772_371_800_000_000, "13:30 or later: \(runningNow)")
        #expect(runningMicros < 1_772_371_800_000_000 + 3_600_000_000, "it ran from 13:30: \(runningNow)")
        let back = try await Self.move(mock, #"{"advance":"-30m"}"#)
        #expect(try back.json()["now"] == .string(RFC3339.formatProtoJSON(micros: runningMicros - 1_800_000_000)))

        let wall = try await mock.send("DELETE", "/__admin/clock")
        #expect(wall.status == 200)
        #expect(try wall.json()["offsetMs"] == .number("0"))
        #expect(try wall.json()["frozen"] == .bool(false))
    }

    @Test(arguments: TestingSetup.allCases)
    func badBodiesAnswer400AndMoveNothing(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        _ = try await Self.move(mock, #"{"set":"\#(Self.newYear)","freeze":true}"#)
        let rows: [(body: String, error: String)] = [
            (#"{"advance":"soon"}"#, "advance: 'soon' is not a duration like 1500ms, 90s, 10m or 1h30m"),
            (#"{"set":"yesterday"}"#, "set: 'yesterday' is not an RFC 3339 time like 2026-01-01T00:00:00Z"),
            (#"{"freeze":"yes"}"#, "freeze: expected true or false, found string"),
            (#"{"set":5}"#, "set: expected a string, found number"),
            (#"{"advance":"10m","set":"never"}"#, "set: 'never' is not an RFC 3339 time like 2026-01-01T00:00:00Z"),
            (#"{"speed":2}"#, "unknown field 'speed' (known: advance, freeze, set)"),
            ("[]", "expected a JSON object with set, advance or freeze"),
            ("", "expected a JSON object with set, advance or freeze"),
        ]
        for row in rows {
            let result = try await Self.move(mock, row.body)
            #expect(result.status == 400, "\(row.body)")
            #expect(result.text == JSONValue.object([("error", .string(row.error))]).serialized.text, "\(row.body)")
        }
        let after = try await Self.reading(mock)
        #expect(after["now"] == .string(Self.newYear), "no bad body moved it, not even the valid part of one")
        #expect(after["frozen"] == .bool(true))
        // The clock stays 100 years inside what RFC 3339 can spell, so every time computed from
        // it (lifetimes and TTLs are at most 100 years) can be written.
        _ = try await Self.move(mock, #"{"set":"9799-12-31T00:00:00Z"}"#)
        for body in [#"{"advance":"1d"}"#, #"{"set":"9999-01-01T00:00:00Z"}"#, #"{"set":"0100-12-31T00:00:00Z"}"#] {
            let beyond = try await Self.move(mock, body)
            #expect(beyond.status == 400, "\(body)")
            #expect(beyond.text == #"{"error":"the move would take the clock outside years 0101 to 9799"}"#)
        }
        #expect(try await Self.reading(mock)["now"] == .string("9799-12-31T00:00:00Z"))
        let minus = try await Self.move(mock, #"{"advance":"-36601d"}"#)
        #expect(minus.text == #"{"error":"advance: '-36601d' is longer than 100 years"}"#)
        let sign = try await Self.move(mock, #"{"advance":"-"}"#)
        #expect(sign.text == #"{"error":"advance: '-' is not a duration like 1500ms, 90s, 10m or 1h30m"}"#)
        let unknown = try await mock.get("/__admin/clock?scenario=nope")
        #expect(unknown.status == 404)
        #expect(
            unknown.text == #"{"error":"unknown scenario 'nope'; known scenarios: default","scenarios":["default"]}"#
        )
        let unknownMove = try await Self.move(mock, #"{"advance":"1m"}"#, scenario: "nope@k")
        #expect(unknownMove.status == 404)
    }

    @Test(arguments: TestingSetup.allCases)
    func copiesKeepTheirOwnClocksAndResetRestartsOne(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        _ = try await Self.move(mock, #"{"set":"\#(Self.newYear)","freeze":true}"#, scenario: "default@a")
        let moved = try await Self.move(mock, #"{"advance":"1h"}"#, scenario: "default@a")
        #expect(try moved.json()["now"] == .string("2026-01-01T01:00:00Z"))
        for other in ["default@b", "default"] {
            let reading = try await Self.reading(mock, scenario: other)
            #expect(reading["scenario"] == .string(other))
            #expect(reading["offsetMs"] == .number("0"), "\(other) is on the wall clock")
            #expect(reading["frozen"] == .bool(false))
        }
        // What a copy creates carries its own time: a session in @a, one in @b.
        let inA = try await mock.send(
            "POST",
            "/v2/sessions",
            headers: Self.login.merging(["X-Mock-Scenario": "default@a"]) { $1 },
            body: "{}"
        )
        #expect(try inA.json()["details"]?["changeDate"] == .string("2026-01-01T01:00:00Z"))
        let inB = try await mock.send(
            "POST",
            "/v2/sessions",
            headers: Self.login.merging(["X-Mock-Scenario": "default@b"]) { $1 },
            body: "{}"
        )
        #expect(try inB.json()["details"]?["changeDate"] != .string("2026-01-01T01:00:00Z"))

        #expect(try await mock.send("POST", "/__admin/reset?scenario=default@a").status == 200)
        let reset = try await Self.reading(mock, scenario: "default@a")
        #expect(reset["offsetMs"] == .number("0"), "reset puts the copy's clock back")
        #expect(reset["frozen"] == .bool(false))
    }

    @Test(arguments: TestingSetup.allCases)
    func theTestingAPIMovesTheSameClockWithoutHTTP(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let clock = try mock.client.clock(scenario: "default@t")
        clock.freeze()
        try clock.set(to: Self.newYear)
        try clock.advance(by: .seconds(90))
        #expect(clock.isFrozen)
        #expect(clock.nowMicros == Self.newYearMicros + 90_000_000)
        #expect(try await Self.reading(mock, scenario: "default@t")["now"] == .string("2026-01-01T00:01:30Z"))
        clock.useWallClock()
        #expect(try await Self.reading(mock, scenario: "default@t")["offsetMs"] == .number("0"))
        #expect(throws: TestingError.self) { try clock.set(to: "tomorrow") }
        #expect(throws: TestingError.self) { try clock.advance(by: .seconds(Int64.max)) }
        #expect(throws: TestingError.self) { try clock.set(to: "9999-12-31T23:59:59Z") }
        try clock.set(to: "9799-12-31T23:59:59Z")
        #expect(throws: TestingError.self) { try clock.advance(by: .seconds(1)) }
        // After a reset the copy starts afresh, and the same TestClock moves its new clock.
        #expect(try await mock.send("POST", "/__admin/reset?scenario=default@t").status == 200)
        clock.freeze()
        try clock.set(to: Self.newYear)
        #expect(try await Self.reading(mock, scenario: "default@t")["now"] == .string(Self.newYear))
        #expect(throws: TestingError.self) { try mock.client.clock(scenario: "nope") }
    }

    // MARK: - What reads the clock

    @Test(arguments: TestingSetup.allCases)
    func challengeTimelineAndTokenExpiriesFollowTheClock(setup: TestingSetup) async throws {
        let mock = try Harness(setup, seeds: ["default": Self.timelineSeed])
        defer { mock.stop() }
        let clock = try mock.client.clock()
        clock.freeze()
        // A step `after` 5 minutes: due when the clock says so, not the wall clock.
        let pending = try await mock.get("/users/session-challenge?code=TIME-LINE", headers: Self.project)
        #expect(try pending.json()["completed"] == .bool(false))
        try clock.advance(by: .seconds(300))
        let due = try await mock.get("/users/session-challenge?code=TIME-LINE", headers: Self.project)
        #expect(try due.json()["completed"] == .bool(true))

        // challengeTtl (10m): expired at 10 minutes, not a microsecond before.
        let code = try await WalletKitLoginTests.createChallenge(mock)
        try clock.advance(by: .seconds(600) - .microseconds(1))
        let fresh = try await mock.get("/users/session-challenge?code=\(code)", headers: Self.project)
        #expect(try fresh.json()["expired"] == .bool(false))
        try clock.advance(by: .microseconds(1))
        let expired = try await mock.get("/users/session-challenge?code=\(code)", headers: Self.project)
        #expect(try expired.json()["expired"] == .bool(true))
        let verify = try await WalletKitLoginTests.post(
            mock,
            "/users/verify-login",
            #"{"session_challenge_code":"\#(code)"}"#
        )
        #expect(verify.status == 400)
        #expect(verify.text == WalletKitLoginTests.expired)

        // Tokens: created now, the access token expires in 1h, the refresh token in 30d.
        try clock.set(to: Self.newYear)
        _ = try await WalletKitLoginTests.post(mock, "/users/login-with-email", #"{"email":"alice@example.com"}"#)
        let loggedIn = try WalletKitLoginTests.session(
            try await WalletKitLoginTests.post(
                mock,
                "/users/verify-login",
                #"{"user_id":"usr_alice","verification_code":"123456"}"#
            ),
            user: "usr_alice"
        )
        #expect(loggedIn.json["created_at"] == .string("2026-01-01T00:00:00.000Z"))
        #expect(loggedIn.json["access_token_expires_at"] == .string("2026-01-01T01:00:00.000Z"))
        #expect(loggedIn.json["refresh_token_expires_at"] == .string("2026-01-31T00:00:00.000Z"))
        try clock.advance(by: .seconds(3600))
        let logout = try await mock.send(
            "POST",
            "/users/logout",
            headers: Self.project.merging(["Authorization": "Bearer \(loggedIn.access)"]) { $1 }
        )
        #expect(logout.status == 401)
        #expect(logout.text == WalletKitLoginTests.invalidAccess)
        let refreshBody = #"{"session_id":"\#(loggedIn.id)","refresh_token":"\#(loggedIn.refresh)"}"#
        try clock.set(to: "2026-01-31T00:00:00Z")
        let late = try await WalletKitLoginTests.post(mock, "/users/refresh-token", refreshBody)
        #expect(late.status == 401)
        #expect(late.text == WalletKitLoginTests.invalidRefresh)
        try clock.advance(by: .microseconds(-1))
        let refreshed = try WalletKitLoginTests.session(
            try await WalletKitLoginTests.post(mock, "/users/refresh-token", refreshBody),
            user: "usr_alice"
        )
        #expect(refreshed.json["access_token_expires_at"] == .string("2026-01-31T00:59:59.999Z"))
    }

    static let timelineSeed = #"""
        {"walletkit":{"projects":["proj_demo"],
          "sessionChallenges":[{"challenge":{"id":"sc_timeline","code":"TIME-LINE","expired":false,"completed":false},
            "timeline":[{"after":"5m","set":{"completed":true}}]}],
          "users":[{"userId":"usr_alice","email":"alice@example.com","verificationCode":"123456"}],
          "settings":{"challengeTtl":"10m","accessTokenTtl":"1h","refreshTokenTtl":"30d"}}}
        """#

    @Test(arguments: TestingSetup.allCases)
    func zitadelTimestampsTOTPAndAuthRequestsReadTheClock(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let clock = try mock.client.clock()
        clock.freeze()
        try clock.set(to: "2026-01-01T08:00:00Z")
        let secret = try #require(Base32.decode("JBSWY3DPEHPK3PXP"))
        let code = OneTimePassword.totp(secret: secret, unixSeconds: 1_767_254_400)
        let created = try await ZitadelLifecycleTests.create(
            mock,
            #"{"checks":{"user":{"loginName":"minnie@example.com"},"totp":{"code":"\#(code)"}},"lifetime":"3600s"}"#
        )
        #expect(created.body["details"]?["changeDate"] == .string("2026-01-01T08:00:00Z"))
        let session = try #require(
            try await mock.get("/v2/sessions/\(created.id)", headers: Self.admin).json()["session"]
        )
        // A session's dates are written with 6 fraction digits, `details` as protobuf JSON writes it.
        #expect(session["creationDate"] == .string("2026-01-01T08:00:00.000000Z"))
        #expect(session["changeDate"] == .string("2026-01-01T08:00:00.000000Z"))
        #expect(session["expirationDate"] == .string("2026-01-01T09:00:00.000000Z"))
        #expect(session["factors"]?["user"]?["verifiedAt"] == .string("2026-01-01T08:00:00.000000Z"))
        #expect(session["factors"]?["totp"]?["verifiedAt"] == .string("2026-01-01T08:00:00.000000Z"))

        // The same code an hour later is outside the TOTP window.
        try clock.advance(by: .seconds(3600))
        let late = try await mock.send(
            "POST",
            "/v2/sessions",
            headers: Self.login,
            body: #"{"checks":{"user":{"loginName":"minnie@example.com"},"totp":{"code":"\#(code)"}}}"#
        )
        #expect(late.status == 400, "\(late.text)")
        #expect(late.text.contains("EVENT-8isk2"), "\(late.text)")

        // An auth request the authorize endpoint creates is dated by the clock.
        let authorize = try await mock.get(
            "/oauth/v2/authorize?client_id=app-1&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback&response_type=code"
        )
        #expect(authorize.status == 302)
        let location = try #require(authorize.header("Location"))
        let id = try #require(location.split(separator: "=").last.map(String.init))
        let request = try await mock.get("/v2/oidc/auth_requests/\(id)", headers: Self.admin)
        #expect(
            try request.json()["authRequest"]?["creationDate"] == .string("2026-01-01T09:00:00Z"),
            "\(request.text)"
        )
    }

    /// The same over every RPC encoding, native gRPC included: the timestamps of what the copy
    /// creates are its clock's, as messages.
    @Test(arguments: TestingSetup.allCases, RPCEncoding.allCases)
    func rpcTimestampsAreTheClocks(setup: TestingSetup, encoding: RPCEncoding) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let clock = try mock.client.clock()
        clock.freeze()
        try clock.set(to: "2026-01-01T08:00:00.25Z")
        let created = try await ZitadelLifecycleRPCTests.call(
            mock,
            encoding,
            "CreateSession",
            Zitadel_Session_V2_CreateSessionRequest.with {
                $0.checks.user.loginName = "minnie@example.com"
                $0.lifetime = Google_Protobuf_Duration(seconds: 600)
            },
            as: Zitadel_Session_V2_CreateSessionResponse.self
        ).get()
        let instant = Google_Protobuf_Timestamp(seconds: 1_767_254_400, nanos: 250_000_000)
        #expect(created.details.changeDate == instant)
        try clock.advance(by: .seconds(1))
        let read = try await ZitadelLifecycleRPCTests.call(
            mock,
            encoding,
            "GetSession",
            Zitadel_Session_V2_GetSessionRequest.with { $0.sessionID = created.sessionID },
            as: Zitadel_Session_V2_GetSessionResponse.self,
            token: "admin-pat"
        ).get()
        #expect(read.session.creationDate == instant)
        #expect(read.session.changeDate == instant)
        #expect(read.session.factors.user.verifiedAt == instant)
        #expect(read.session.expirationDate == Google_Protobuf_Timestamp(seconds: 1_767_255_000, nanos: 250_000_000))
        let list = try await ZitadelLifecycleRPCTests.call(
            mock,
            encoding,
            "ListSessions",
            Zitadel_Session_V2_ListSessionsRequest(),
            as: Zitadel_Session_V2_ListSessionsResponse.self,
            token: "admin-pat"
        ).get()
        #expect(list.details.timestamp == Google_Protobuf_Timestamp(seconds: 1_767_254_401, nanos: 250_000_000))
    }

    @Test(arguments: TestingSetup.allCases)
    func relativeSeedTimesResolveAgainstTheSeedsClock(setup: TestingSetup) async throws {
        let mock = try Harness(setup, seeds: ["default": Self.frozenSeed])
        defer { mock.stop() }
        let start = try await Self.reading(mock, scenario: "default@x")
        #expect(start["now"] == .string(Self.newYear))
        #expect(start["frozen"] == .bool(true))
        let session = try #require(try await mock.get("/v2/sessions/100", headers: Self.admin).json()["session"])
        #expect(session["creationDate"] == .string("2025-12-31T23:00:00.000000Z"))
        #expect(session["expirationDate"] == .string("2026-01-01T00:15:00.000000Z"))
        // Moved and reset: the seed's start again.
        _ = try await Self.move(mock, #"{"advance":"2h"}"#)
        #expect(try await mock.send("POST", "/__admin/reset").status == 200)
        #expect(try await Self.reading(mock)["now"] == .string(Self.newYear))
    }

    static let frozenSeed = #"""
        {"clock":{"start":"2026-01-01T00:00:00Z","frozen":true},"randomSeed":42,
         "walletkit":{"projects":["proj_demo"],
           "users":[{"userId":"usr_alice","email":"alice@example.com"}]},
         "zitadel":{"instanceId":"inst-1",
           "tokens":[{"token":"admin-pat","userId":"admin","permissions":["session.read","session.write","session.delete","session.link"]},
                     {"token":"login-pat","userId":"login-client","permissions":["session.read","session.write","session.link"]}],
           "users":[{"userId":"u1","loginName":"minnie@example.com","password":"V3ryS3cure!","organizationId":"org-1"}],
           "sessions":[{"session":{"id":"100","creationDate":"now-1h","expirationDate":"now+15m"}}],
           "oidc":{"clients":[{"clientId":"app-1","redirectUris":["https://app.example.com/callback"],"loginUrl":"http://localhost:3000"}]}}}
        """#

    /// `serve --clock-start --clock-frozen --random-seed`: every seed without its own `clock` or
    /// `randomSeed` gets the server's, scenarios installed later too; a seed's own win.
    @Test(arguments: TestingSetup.allCases)
    func serverDefaultsFillSeedsWithoutTheirOwn(setup: TestingSetup) async throws {
        let own = #"{"clock":{"start":"2030-06-01T00:00:00Z","frozen":true}}"#
        let mock = try Harness(setup, seeds: ["default": "{}", "own": own], scenario: "default") {
            $0.app.seedDefaults = SeedDefaults(
                clock: SeedClock(start: .absolute(Self.newYear), frozen: true),
                randomSeed: 9
            )
        }
        defer { mock.stop() }
        #expect(try await Self.reading(mock)["now"] == .string(Self.newYear))
        #expect(try await Self.reading(mock, scenario: "own")["now"] == .string("2030-06-01T00:00:00Z"))
        let installed = try await mock.send("POST", "/__admin/scenarios/later", body: #"{"walletkit":{}}"#)
        #expect(installed.status < 300, "\(installed.text)")
        #expect(try await Self.reading(mock, scenario: "later")["now"] == .string(Self.newYear))
        // The server's random seed: two copies draw the same challenge.
        var answers: [String] = []
        for copy in ["default@a", "default@b"] {
            let created = try await mock.send(
                "POST",
                "/users/create-session-challenge",
                headers: ["X-WalletKit-Project-ID": "p", "X-Mock-Scenario": copy]
            )
            answers.append(created.text)
        }
        #expect(answers[0] == answers[1], "\(answers)")
        #expect(mock.app.registry.defaults.randomSeed == 9)
    }

    // MARK: - Repeatable answers

    /// The WalletKit login and the ZITADEL login, every answer's bytes in order.
    static func flow(_ mock: Harness, scenario: String) async throws -> [String] {
        let copy = ["X-Mock-Scenario": scenario]
        let walletKit = project.merging(copy) { $1 }
        let zitadel = login.merging(copy) { $1 }
        var answers: [String] = []
        func record(_ result: HTTPResult) -> HTTPResult {
            answers.append("\(result.status) \(result.text)")
            return result
        }
        let challenge = record(try await mock.send("POST", "/users/create-session-challenge", headers: walletKit))
        let code = try #require(try challenge.json()["code"]?.stringValue)
        _ = record(
            try await mock.send("POST", "/__admin/walletkit/session-challenges/\(code)/complete?scenario=\(scenario)")
        )
        let session = record(
            try await mock.send(
                "POST",
                "/users/verify-login",
                headers: walletKit,
                body: #"{"session_challenge_code":"\#(code)"}"#
            )
        )
        let sessionId = try #require(try session.json()["id"]?.stringValue)
        let refresh = try #require(try session.json()["refresh_token"]?.stringValue)
        _ = record(
            try await mock.send(
                "POST",
                "/users/refresh-token",
                headers: walletKit,
                body: #"{"session_id":"\#(sessionId)","refresh_token":"\#(refresh)"}"#
            )
        )
        _ = record(
            try await mock.send(
                "POST",
                "/users/login-with-email",
                headers: walletKit,
                body: #"{"email":"alice@example.com"}"#
            )
        )
        _ = record(try await mock.get("/__admin/walletkit/outbox?scenario=\(scenario)"))

        let authorize = record(
            try await mock.send(
                "GET",
                "/oauth/v2/authorize?client_id=app-1&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback&response_type=code&state=s1",
                headers: copy
            )
        )
        answers.append(authorize.header("Location") ?? "")
        let authRequest = try #require(authorize.header("Location")?.split(separator: "=").last.map(String.init))
        let created = record(
            try await mock.send(
                "POST",
                "/v2/sessions",
                headers: zitadel,
                body:
                    #"{"checks":{"user":{"loginName":"minnie@example.com"}},"challenges":{"otpEmail":{"returnCode":{}}}}"#
            )
        )
        let id = try #require(try created.json()["sessionId"]?.stringValue)
        let set = record(
            try await mock.send(
                "PATCH",
                "/v2/sessions/\(id)",
                headers: zitadel,
                body: #"{"checks":{"password":{"password":"V3ryS3cure!"}}}"#
            )
        )
        let token = try #require(try set.json()["sessionToken"]?.stringValue)
        _ = record(try await mock.get("/v2/sessions/\(id)", headers: zitadel))
        _ = record(
            try await mock.send(
                "POST",
                "/v2/oidc/auth_requests/\(authRequest)",
                headers: zitadel,
                body: #"{"session":{"sessionId":"\#(id)","sessionToken":"\#(token)"}}"#
            )
        )
        return answers
    }

    @Test(arguments: TestingSetup.allCases)
    func aFrozenSeededFlowAnswersTheSameBytesEveryRun(setup: TestingSetup) async throws {
        var runs: [[String]] = []
        for _ in 0..<2 {
            let mock = try Harness(setup, seeds: ["default": Self.frozenSeed])
            defer { mock.stop() }
            runs.append(try await Self.flow(mock, scenario: "default@worker-1"))
            // Another copy, after the first: its sequence depends on its own requests only.
            runs.append(try await Self.flow(mock, scenario: "default@worker-2"))
        }
        #expect(runs[0].count == 12)
        for run in runs.dropFirst() {
            for (first, again) in zip(runs[0], run) { #expect(first == again) }
        }
        #expect(runs[0][0].contains(#""expired":false"#), "\(runs[0][0])")
        #expect(runs[0][2].contains(#""created_at":"2026-01-01T00:00:00.000Z""#), "\(runs[0][2])")
        #expect(runs[0][10].contains(#""creationDate":"2026-01-01T00:00:00.000000Z""#), "\(runs[0][10])")
        // Without the seed's randomSeed the ids and tokens differ from run to run.
        let unseeded = Self.frozenSeed.replacingOccurrences(of: #""randomSeed":42,"#, with: "")
        var unseededRuns: [[String]] = []
        for _ in 0..<2 {
            let mock = try Harness(setup, seeds: ["default": unseeded])
            defer { mock.stop() }
            unseededRuns.append(try await Self.flow(mock, scenario: "default@w"))
        }
        #expect(unseededRuns[0][0] != unseededRuns[1][0], "challenge ids and codes are the system's random")
        #expect(unseededRuns[0][8] != unseededRuns[1][8], "session tokens too")
    }
}

extension JSONValue {
    var numberValue: Int {
        if case .number(let text) = self, let value = Int(text) { return value }
        return .min
    }

    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }
}

extension [UInt8] {
    fileprivate var text: String { String(decoding: self, as: UTF8.self) }
}

/// The seeded generator against the published algorithms' outputs, and the seed fields' checks.
@Suite struct ScenarioRandomTests {
    @Test func splitMix64AndXoshiro256StarStarMatchTheirReferenceOutputs() {
        var x: UInt64 = 0
        #expect(
            [ScenarioRandom.splitMix64(&x), ScenarioRandom.splitMix64(&x), ScenarioRandom.splitMix64(&x)]
                == [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F]
        )
        var generator = ScenarioRandom(state: (1, 2, 3, 4))
        #expect(
            [generator.next(), generator.next(), generator.next(), generator.next()]
                == [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240]
        )
    }

    @Test func aSeedDrawsTheSameTextEveryTimeAndStreamsDiffer() {
        var first = ScenarioRandom(seed: 42, stream: 1)
        var again = ScenarioRandom(seed: 42, stream: 1)
        var other = ScenarioRandom(seed: 42, stream: 2)
        let a =
            first.string(count: 24, from: RandomText.lowercaseAlphanumerics) + String(describing: first.bytes(count: 9))
        let b =
            again.string(count: 24, from: RandomText.lowercaseAlphanumerics) + String(describing: again.bytes(count: 9))
        let c =
            other.string(count: 24, from: RandomText.lowercaseAlphanumerics) + String(describing: other.bytes(count: 9))
        #expect(a == b)
        #expect(a != c)
        #expect(first.bytes(count: 0).isEmpty)
        var system = ScenarioRandom.system
        #expect(!system.isSeeded)
        #expect(system.string(count: 32, from: RandomText.digits) != system.string(count: 32, from: RandomText.digits))
        // Every character of the alphabet is drawn: the rejection keeps the draw uniform.
        var counts: [UInt8: Int] = [:]
        for byte in first.string(count: 3600, from: RandomText.lowercaseAlphanumerics).utf8 {
            counts[byte, default: 0] += 1
        }
        #expect(counts.count == 36)
        #expect(counts.values.allSatisfy { (50...150).contains($0) }, "\(counts)")
    }

    @Test func clockAndRandomSeedAreValidatedWithPathAndReason() throws {
        let good = try SeedParser.parse(
            Array(#"{"clock":{"start":"2026-01-01T00:00:00Z","frozen":true},"randomSeed":18446744073709551615}"#.utf8),
            file: "s.json"
        )
        #expect(good.clock == SeedClock(start: .absolute("2026-01-01T00:00:00Z"), frozen: true))
        #expect(good.randomSeed == UInt64.max)
        let relative = try SeedParser.parse(Array(#"{"clock":{"start":"now-1d"}}"#.utf8), file: "s.json")
        #expect(relative.clock == SeedClock(start: .relative(offsetMicros: -86_400_000_000), frozen: false))
        let rows: [(seed: String, path: String, reason: String)] = [
            (
                #"{"clock":{"start":"yesterday"}}"#, "$.clock.start",
                "'yesterday' is not an RFC 3339 timestamp (2025-03-06T14:42:07Z) nor now±duration"
            ),
            (#"{"clock":{"frozen":"yes"}}"#, "$.clock.frozen", "expected true or false, found string"),
            (
                #"{"clock":{"speed":2}}"#, "$.clock.speed",
                "unknown field 'speed' (known: frozen, start)"
            ),
            (#"{"clock":true}"#, "$.clock", "expected an object, found boolean"),
            (
                #"{"clock":{"start":"9999-01-01T00:00:00Z"}}"#, "$.clock.start",
                "'9999-01-01T00:00:00Z' is outside years 0101 to 9799, where a clock may be"
            ),
            (#"{"randomSeed":-1}"#, "$.randomSeed", "expected a whole number from 0 to 18446744073709551615, found -1"),
            (
                #"{"randomSeed":1.5}"#, "$.randomSeed",
                "expected a whole number from 0 to 18446744073709551615, found 1.5"
            ),
            (
                #"{"randomSeed":"42"}"#, "$.randomSeed",
                #"expected a whole number from 0 to 18446744073709551615, found "42""#
            ),
        ]
        for row in rows {
            do {
                _ = try SeedParser.parse(Array(row.seed.utf8), file: "s.json")
                Issue.record("accepted \(row.seed)")
            } catch {
                #expect(error.issues.map(\.path) == [row.path], "\(row.seed)")
                #expect(error.issues.map(\.reason) == [row.reason], "\(row.seed)")
            }
        }
    }
}
