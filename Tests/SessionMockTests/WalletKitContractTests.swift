import Foundation
import SessionMockTesting
import Testing

@testable import JSON
@testable import MicroHTTP
@testable import MockPipeline
@testable import Platform
@testable import Seeds
@testable import SessionMock
@testable import Store
@testable import WalletKitAPI
@testable import ZitadelAPI

/// The session challenge's rows (docs/walletkit.md#get-userssession-challengecode), one by one,
/// against the bundled default scenario: each test in process and live.
@Suite struct WalletKitContractTests {
    let path = "/users/session-challenge"

    @Test(arguments: TestingSetup.allCases)
    func returnsTheChallengeWithAllFourFields(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get("\(path)?code=K7PX-22QA", headers: Harness.project)
        #expect(result.status == 200)
        #expect(result.header("Content-Type") == "application/json")
        #expect(result.text == #"{"id":"sc_01HZX3","code":"K7PX-22QA","expired":false,"completed":false}"#)
    }

    @Test(
        arguments: TestingSetup.allCases,
        [
            ("COMPLETED", #"{"id":"sc_completed","code":"COMPLETED","expired":false,"completed":true}"#),
            ("EXPIRED", #"{"id":"sc_expired","code":"EXPIRED","expired":true,"completed":false}"#),
            ("ANY-PROJECT", #"{"id":"sc_shared","code":"ANY-PROJECT","expired":false,"completed":false}"#),
        ]
    )
    func returnsEachDemoState(setup: TestingSetup, row: (String, String)) async throws {
        let (code, body) = row
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get("\(path)?code=\(code)", headers: Harness.project)
        #expect(result.status == 200)
        #expect(result.text == body)
    }

    @Test(arguments: TestingSetup.allCases)
    func missingProjectHeaderIs401(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get("\(path)?code=K7PX-22QA")
        #expect(result.status == 401)
        #expect(result.text == #"{"code":"missing_project_id","error":"X-WalletKit-Project-ID header is required"}"#)
    }

    @Test(arguments: TestingSetup.allCases)
    func emptyProjectHeaderIs401(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get("\(path)?code=K7PX-22QA", headers: ["X-WalletKit-Project-ID": ""])
        #expect(result.status == 401)
        #expect(result.text == #"{"code":"missing_project_id","error":"X-WalletKit-Project-ID header is required"}"#)
    }

    @Test(arguments: TestingSetup.allCases)
    func unknownProjectIs401WhenSeedListsProjects(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get("\(path)?code=K7PX-22QA", headers: ["X-WalletKit-Project-ID": "proj_nope"])
        #expect(result.status == 401)
        #expect(result.text == #"{"code":"invalid_project_id","error":"Invalid project ID"}"#)
    }

    @Test(arguments: TestingSetup.allCases)
    func anyProjectIsAcceptedWhenSeedListsNone(setup: TestingSetup) async throws {
        let mock = try Harness(
            setup,
            seeds: [
                "s":
                    #"{"walletkit":{"sessionChallenges":[{"challenge":{"id":"a","code":"C","expired":false,"completed":false}}]}}"#
            ]
        )
        defer { mock.stop() }
        let result = try await mock.get("\(path)?code=C", headers: ["X-WalletKit-Project-ID": "whatever"])
        #expect(result.status == 200)
        #expect(result.text == #"{"id":"a","code":"C","expired":false,"completed":false}"#)
    }

    @Test(arguments: TestingSetup.allCases)
    func projectIsCheckedBeforeCode(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get(path, headers: ["X-WalletKit-Project-ID": "proj_nope"])
        #expect(result.status == 401)
        #expect(result.text.contains("invalid_project_id"))
    }

    @Test(arguments: TestingSetup.allCases, ["", "?code=", "?other=1"])
    func missingOrEmptyCodeIs400(setup: TestingSetup, query: String) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get(path + query, headers: Harness.project)
        #expect(result.status == 400)
        #expect(result.text == #"{"code":"missing_code","error":"Query parameter 'code' is required"}"#)
    }

    @Test(arguments: TestingSetup.allCases)
    func unknownCodeIs400(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get("\(path)?code=NOPE", headers: Harness.project)
        #expect(result.status == 400)
        #expect(result.text == #"{"code":"session_challenge_not_found","error":"Session challenge not found"}"#)
    }

    @Test(arguments: TestingSetup.allCases)
    func challengeOfAnotherProjectIs403(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get("\(path)?code=OTHER-PROJECT", headers: Harness.project)
        #expect(result.status == 403)
        #expect(result.text == #"{"code":"forbidden","error":"Session challenge belongs to another project"}"#)
        let owner = try await mock.get("\(path)?code=OTHER-PROJECT", headers: ["X-WalletKit-Project-ID": "proj_other"])
        #expect(owner.status == 200)
    }

    @Test(arguments: TestingSetup.allCases)
    func forcedFaultIs500WithNullCode(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get("\(path)?code=BOOM", headers: Harness.project)
        #expect(result.status == 500)
        #expect(result.text == #"{"code":null,"error":"Internal server error"}"#)
    }

    @Test(arguments: TestingSetup.allCases)
    func percentEncodedCodeIsDecoded(setup: TestingSetup) async throws {
        let mock = try Harness(
            setup,
            seeds: [
                "s":
                    #"{"walletkit":{"sessionChallenges":[{"challenge":{"id":"a","code":"A B/ü","expired":false,"completed":false}}]}}"#
            ]
        )
        defer { mock.stop() }
        let result = try await mock.get("\(path)?code=A%20B%2F%C3%BC", headers: ["X-WalletKit-Project-ID": "p"])
        #expect(result.status == 200)
        #expect(result.text == #"{"id":"a","code":"A B/ü","expired":false,"completed":false}"#)
    }

    @Test(arguments: TestingSetup.allCases, ["POST", "PUT", "DELETE", "PATCH"])
    func otherMethodsAre405WithAllow(setup: TestingSetup, method: String) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.send(method, "\(path)?code=K7PX-22QA", headers: Harness.project)
        #expect(result.status == 405)
        #expect(result.header("Allow") == "GET, HEAD")
        let body = try result.json()
        #expect(body["error"] != nil)
        #expect(result.text == #"{"code":"method_not_allowed","error":"Method not allowed"}"#)
    }

    @Test(arguments: TestingSetup.allCases)
    func unknownPathUnderUsersIsErrorResponse404(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get("/users/nope", headers: Harness.project)
        #expect(result.status == 404)
        #expect(result.text == #"{"code":"not_found","error":"Not found"}"#)
    }
}
