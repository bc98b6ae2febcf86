import Foundation
import SessionMockTesting
import Testing

@testable import JSON
@testable import Seeds
@testable import SessionMock
@testable import Store

/// `POST /__admin/walletkit/session-challenges/{code}/complete` answers the user verify-login will
/// log in with the challenge, and verify-login then logs in exactly that user: the user named (by
/// the body or a magic link), else the project's first seeded user, else `user_<code>`. Each test
/// in process and live.
@Suite struct ChallengeCompletionTests {
    static func complete(_ mock: Harness, _ code: String, _ body: String? = nil) async throws -> HTTPResult {
        try await mock.send("POST", "/__admin/walletkit/session-challenges/\(code)/complete", body: body)
    }

    /// verify-login with the challenge `code`, called for `project`: the session's project and user.
    static func verify(
        _ mock: Harness,
        _ code: String,
        project: String = "proj_demo"
    ) async throws -> (project: JSONValue?, user: JSONValue?) {
        let result = try await mock.send(
            "POST",
            "/users/verify-login",
            headers: ["X-WalletKit-Project-ID": project],
            body: #"{"session_challenge_code":"\#(code)"}"#
        )
        #expect(result.status == 200, "\(result.text)")
        let json = try result.json()
        return (json["project_id"], json["user_id"])
    }

    /// Both projects of `proj_users` have one seeded user; `proj_empty` has none.
    static let seed = #"""
        {"walletkit": {
          "projects": ["proj_empty", "proj_users"],
          "sessionChallenges": [
            {"project": "proj_empty", "challenge": {"id": "sc_e", "code": "AB2C-D3EF", "expired": false, "completed": false}},
            {"challenge": {"id": "sc_any", "code": "ANY-ONE", "expired": false, "completed": false}}
          ],
          "users": [{"userId": "usr_zed", "email": "zed@example.com", "project": "proj_users"}]
        }}
        """#

    @Test(arguments: TestingSetup.allCases)
    func noBodyAnswersTheProjectsFirstSeededUser(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let approved = try await Self.complete(mock, "PENDING")
        #expect(approved.status == 200)
        #expect(approved.header("Content-Type") == "application/json")
        #expect(
            approved.text
                == #"{"project":"proj_demo","challenge":{"id":"sc_pending","code":"PENDING","expired":false,"completed":true},"userId":"usr_alice"}"#
        )
        let session = try await Self.verify(mock, "PENDING")
        #expect(session.project == .string("proj_demo") && session.user == .string("usr_alice"))

        // A challenge the client created answers the same way.
        let created = try await mock.send("POST", "/users/create-session-challenge", headers: Harness.project)
        guard case .string(let id)? = try created.json()["id"], case .string(let code)? = try created.json()["code"]
        else {
            Issue.record("\(created.text)")
            return
        }
        let createdApproved = try await Self.complete(mock, code)
        #expect(
            createdApproved.text
                == #"{"project":"proj_demo","challenge":{"id":"\#(id)","code":"\#(code)","expired":false,"completed":true},"userId":"usr_alice"}"#
        )
        #expect(try await Self.verify(mock, code).user == .string("usr_alice"))
    }

    @Test(arguments: TestingSetup.allCases)
    func aBodyNamingAUserAnswersThatUser(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let approved = try await Self.complete(mock, "K7PX-22QA", #"{"userId":"usr_bob"}"#)
        #expect(approved.status == 200)
        #expect(
            approved.text
                == #"{"project":"proj_demo","challenge":{"id":"sc_01HZX3","code":"K7PX-22QA","expired":false,"completed":true},"userId":"usr_bob"}"#
        )
        let session = try await Self.verify(mock, "K7PX-22QA")
        #expect(session.project == .string("proj_demo") && session.user == .string("usr_bob"))

        // A named user need not be seeded; `null` is as if absent.
        let unseeded = try await Self.complete(mock, "PENDING", #"{"userId":"usr_carol"}"#)
        #expect(
            unseeded.text
                == #"{"project":"proj_demo","challenge":{"id":"sc_pending","code":"PENDING","expired":false,"completed":true},"userId":"usr_carol"}"#
        )
        #expect(try await Self.verify(mock, "PENDING").user == .string("usr_carol"))
        let null = try await Self.complete(mock, "COMPLETED", #"{"userId":null}"#)
        #expect(
            null.text
                == #"{"project":"proj_demo","challenge":{"id":"sc_completed","code":"COMPLETED","expired":false,"completed":true},"userId":"usr_alice"}"#
        )
        #expect(try await Self.verify(mock, "COMPLETED").user == .string("usr_alice"))
    }

    @Test(arguments: TestingSetup.allCases)
    func aProjectWithNoSeededUsersAnswersTheUserMadeFromTheCode(setup: TestingSetup) async throws {
        let mock = try Harness(setup, seeds: ["default": Self.seed])
        defer { mock.stop() }
        let approved = try await Self.complete(mock, "AB2C-D3EF")
        #expect(approved.status == 200)
        #expect(
            approved.text
                == #"{"project":"proj_empty","challenge":{"id":"sc_e","code":"AB2C-D3EF","expired":false,"completed":true},"userId":"user_ab2cd3ef"}"#
        )
        let session = try await Self.verify(mock, "AB2C-D3EF", project: "proj_empty")
        #expect(session.project == .string("proj_empty") && session.user == .string("user_ab2cd3ef"))
    }

    /// A challenge without a project that names no one logs in the first seeded user of whichever
    /// project verify-login is called for: the answer names a user only when that is one user.
    @Test(arguments: TestingSetup.allCases)
    func aChallengeOfEveryProjectNamesAUserOnlyWhenEveryProjectGetsTheSameOne(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        // The default seed: usr_alice in proj_demo, usr_bob in proj_other.
        let shared = try await Self.complete(mock, "ANY-PROJECT")
        #expect(shared.status == 200)
        #expect(
            shared.text == #"{"challenge":{"id":"sc_shared","code":"ANY-PROJECT","expired":false,"completed":true}}"#
        )
        let session = try await Self.verify(mock, "ANY-PROJECT", project: "proj_other")
        #expect(session.project == .string("proj_other") && session.user == .string("usr_bob"))
        // Named, it is that user whatever the project.
        let named = try await mock.send(
            "POST",
            "/users/login-with-magic-link",
            headers: ["X-WalletKit-Project-ID": "proj_other"],
            body: #"{"email":"bob@example.com"}"#
        )
        guard case .string(let code)? = try named.json()["code"] else {
            Issue.record("\(named.text)")
            return
        }
        #expect(try await Self.complete(mock, code).json()["userId"] == .string("usr_bob"))

        // One user for every project (no `projects`: any project is accepted): that user.
        let everyone = try Harness(
            setup,
            seeds: [
                "default": #"""
                {"walletkit": {"sessionChallenges": [{"challenge": {"id": "sc_f", "code": "FREE", "expired": false, "completed": false}}],
                               "users": [{"userId": "usr_all", "email": "all@example.com"}]}}
                """#
            ]
        )
        defer { everyone.stop() }
        let free = try await Self.complete(everyone, "FREE")
        #expect(
            free.text
                == #"{"challenge":{"id":"sc_f","code":"FREE","expired":false,"completed":true},"userId":"usr_all"}"#
        )
        #expect(try await Self.verify(everyone, "FREE", project: "proj_anything").user == .string("usr_all"))

        // No users at all: the user made from the code, whatever the project.
        let nobody = try Harness(
            setup,
            seeds: [
                "default": #"""
                {"walletkit": {"sessionChallenges": [{"challenge": {"id": "sc_n", "code": "NO-ONE", "expired": false, "completed": false}}]}}
                """#
            ]
        )
        defer { nobody.stop() }
        let made = try await Self.complete(nobody, "NO-ONE")
        #expect(
            made.text
                == #"{"challenge":{"id":"sc_n","code":"NO-ONE","expired":false,"completed":true},"userId":"user_noone"}"#
        )
        #expect(try await Self.verify(nobody, "NO-ONE", project: "proj_x").user == .string("user_noone"))

        // Listed projects with different users (proj_users: usr_zed, proj_empty: none): no user.
        let mixed = try Harness(setup, seeds: ["default": Self.seed])
        defer { mixed.stop() }
        let any = try await Self.complete(mixed, "ANY-ONE")
        #expect(any.text == #"{"challenge":{"id":"sc_any","code":"ANY-ONE","expired":false,"completed":true}}"#)
        #expect(try await Self.verify(mixed, "ANY-ONE", project: "proj_users").user == .string("usr_zed"))
    }

    /// The store's rule, which the control answer and verify-login share.
    @Test func loginUserRule() {
        var seed = WalletKitSeed()
        seed.users = [
            WalletKitUser(userId: "usr_a", email: "a@example.com", project: "p1"),
            WalletKitUser(userId: "usr_any", email: "any@example.com"),
        ]
        let logins = WalletKitLoginStore(seed: seed)
        #expect(WalletKitLoginStore.userId(fromChallengeCode: "K7PX-22QA") == "user_k7px22qa")
        #expect(logins.loginUserId(named: "usr_x", project: "p1", code: "C") == "usr_x")
        #expect(logins.loginUserId(named: nil, project: "p1", code: "C") == "usr_a")
        #expect(logins.loginUserId(named: nil, project: "p2", code: "C") == "usr_any")
        #expect(
            WalletKitLoginStore(seed: WalletKitSeed()).loginUserId(named: nil, project: "p1", code: "AB-CD")
                == "user_abcd"
        )
        #expect(logins.loginUserId(named: nil, owner: "p1", accepted: nil, code: "C") == "usr_a")
        #expect(logins.loginUserId(named: "usr_x", owner: nil, accepted: nil, code: "C") == "usr_x")
        #expect(
            logins.loginUserId(named: nil, owner: nil, accepted: nil, code: "C") == nil,
            "p1: usr_a, any other: usr_any"
        )
        #expect(logins.loginUserId(named: nil, owner: nil, accepted: ["p2", "p3"], code: "C") == "usr_any")
        #expect(logins.loginUserId(named: nil, owner: nil, accepted: ["p1", "p2"], code: "C") == nil)
    }
}
