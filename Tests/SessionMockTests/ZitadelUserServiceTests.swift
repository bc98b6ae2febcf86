import Foundation
import SessionMockTesting
import SwiftProtobuf
import Testing

@testable import JSON
@testable import SessionMock
@testable import ZitadelAPI

/// `zitadel.user.v2.UserService` against the bundled default scenario: exact REST bodies, the same
/// user over Connect, and the auth, permission and not-found rows; in process and live.
@Suite struct ZitadelUserServiceTests {
    static let admin = ["Authorization": "Bearer admin-pat"]
    static let minnie =
        #"{"userId":"312909037640286104","state":"USER_STATE_ACTIVE","username":"minnie","loginNames":["minnie@example.com"],"preferredLoginName":"minnie@example.com","human":{"userId":"312909037640286104","state":"USER_STATE_ACTIVE","username":"minnie","loginNames":["minnie@example.com"],"preferredLoginName":"minnie@example.com","profile":{"givenName":"Minnie","familyName":"Mouse","displayName":"Minnie Mouse","preferredLanguage":"en"},"email":{"email":"minnie@example.com","isVerified":true},"phone":{}},"details":{"sequence":"1","resourceOwner":"312908994858385304"}}"#

    @Test(arguments: TestingSetup.allCases)
    func getUserByIDAnswersTheSeededUserAsZitadelsHumanUser(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let rest = try await mock.get("/v2/users/312909037640286104", headers: Self.admin)
        #expect(rest.status == 200)
        #expect(rest.header("Content-Type") == "application/json")
        #expect(
            rest.text == #"{"details":{"sequence":"1","resourceOwner":"312908994858385304"},"user":\#(Self.minnie)}"#
        )
        let connect = try await mock.send(
            "POST",
            "/zitadel.user.v2.UserService/GetUserByID",
            headers: Self.admin.merging(["Content-Type": "application/json"]) { $1 },
            body: #"{"userId":"312909037640286104"}"#
        )
        #expect(connect.status == 200)
        #expect(connect.text == rest.text, "one implementation on every transport")
    }

    @Test(arguments: TestingSetup.allCases)
    func getUserByIDRows(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let missing = try await mock.get("/v2/users/nobody", headers: Self.admin)
        #expect(missing.status == 404)
        #expect(
            missing.text
                == #"{"code":5,"message":"User could not be found (QUERY-Dfbg2)","details":[{"@type":"type.googleapis.com/zitadel.v1.ErrorDetail","id":"QUERY-Dfbg2","message":"User could not be found"}]}"#
        )
        let unpermitted = try await mock.get(
            "/v2/users/312909037640286104",
            headers: ["Authorization": "Bearer user-pat"]
        )
        #expect(unpermitted.status == 403)
        #expect(
            unpermitted.text
                == #"{"code":7,"message":"No matching permissions found (AUTH-AWfge)","details":[{"@type":"type.googleapis.com/zitadel.v1.ErrorDetail","id":"AUTH-AWfge","message":"No matching permissions found"}]}"#
        )
        let anonymous = try await mock.get("/v2/users/312909037640286104")
        #expect(anonymous.status == 401 && anonymous.text == #"{"code":16,"message":"auth header missing"}"#)
    }

    @Test(arguments: TestingSetup.allCases)
    func authenticationMethodTypesComeFromTheSeedInZitadelsOrder(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let minnie = try await mock.get("/v2/users/312909037640286104/authentication_methods", headers: Self.admin)
        #expect(
            minnie.text
                == #"{"details":{"totalResult":"5"},"authMethodTypes":["AUTHENTICATION_METHOD_TYPE_PASSWORD","AUTHENTICATION_METHOD_TYPE_PASSKEY","AUTHENTICATION_METHOD_TYPE_IDP","AUTHENTICATION_METHOD_TYPE_TOTP","AUTHENTICATION_METHOD_TYPE_OTP_EMAIL"]}"#
        )
        let mickey = try await mock.get("/v2/users/312909037640286200/authentication_methods", headers: Self.admin)
        #expect(
            mickey.text == #"{"details":{"totalResult":"1"},"authMethodTypes":["AUTHENTICATION_METHOD_TYPE_PASSWORD"]}"#
        )
    }

    /// The user ids of a ListUsers answer, and its `totalResult`.
    static func listed(_ mock: Harness, _ body: String) async throws -> (ids: [String], total: String?) {
        let result = try await mock.send(
            "POST",
            "/v2/users",
            headers: ["Authorization": "Bearer login-pat"],
            body: body
        )
        #expect(result.status == 200, "\(result.text)")
        let json = try result.json()
        var ids: [String] = []
        if case .array(let users)? = json["result"] {
            for user in users { if case .string(let id)? = user["userId"] { ids.append(id) } }
        }
        guard case .string(let total)? = json["details"]?["totalResult"] else { return (ids, nil) }
        return (ids, total)
    }

    @Test(arguments: TestingSetup.allCases)
    func listUsersFiltersSortsAndPages(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let (minnie, mickey, locked) = ("312909037640286104", "312909037640286200", "312909037640286300")
        #expect(try await Self.listed(mock, "{}") == ([minnie, mickey, locked], "3"))
        #expect(
            try await Self.listed(mock, #"{"queries":[{"loginNameQuery":{"loginName":"MICKEY@example.com"}}]}"#)
                == ([mickey], "1"),
            "login names match case-insensitively"
        )
        #expect(
            try await Self.listed(mock, #"{"queries":[{"stateQuery":{"state":"USER_STATE_LOCKED"}}]}"#) == (
                [locked], "1"
            )
        )
        #expect(
            try await Self.listed(
                mock,
                #"{"queries":[{"orQuery":{"queries":[{"inUserIdsQuery":{"userIds":["\#(minnie)"]}},{"emailQuery":{"emailAddress":"MINNIE@","method":"TEXT_QUERY_METHOD_STARTS_WITH_IGNORE_CASE"}}]}},{"notQuery":{"query":{"displayNameQuery":{"displayName":"Mickey Mouse"}}}}]}"#
            ) == ([minnie], "1")
        )
        #expect(
            try await Self.listed(
                mock,
                #"{"query":{"offset":"1","limit":1,"asc":true},"sortingColumn":"USER_FIELD_NAME_DISPLAY_NAME"}"#
            )
                == ([mickey], "3"),
            "sorted Locked Out, Mickey Mouse, Minnie Mouse; the total counts before paging"
        )
        let bad = try await mock.send(
            "POST",
            "/v2/users",
            headers: ["Authorization": "Bearer login-pat"],
            body: #"{"queries":[{}]}"#
        )
        #expect(
            bad.status == 400 && bad.text == #"{"code":3,"message":"invalid SearchQuery.Query: value is required"}"#
        )
    }
}
