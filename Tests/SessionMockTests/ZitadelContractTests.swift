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

/// GetSession's rows (docs/zitadel.md#getsession-get-v2sessionssessionidsessiontoken), one by one,
/// against the bundled default scenario: each test in process and live.
@Suite struct ZitadelContractTests {
    static let documentedExample =
        #"{"session":{"id":"312909075212468632","creationDate":"2025-03-06T14:42:07.731226Z","changeDate":"2025-03-06T14:42:08.152937Z","sequence":"4","factors":{"user":{"verifiedAt":"2025-03-06T14:42:07.731226Z","id":"312909037640286104","loginName":"minnie@example.com","displayName":"Minnie Mouse","organizationId":"312908994858385304"},"password":{"verifiedAt":"2025-03-06T14:42:08.152937Z"},"webAuthN":{"verifiedAt":"2025-03-06T14:42:08.152937Z","userVerified":true}},"metadata":{"tenant":"YWNtZQ=="},"userAgent":{"fingerprintId":"fp-8c2f","ip":"203.0.113.7","description":"Chrome 122 on macOS","header":{"accept-language":{"values":["de-CH","en"]}}},"expirationDate":"2025-03-07T02:42:07.731226Z"}}"#
    let full = "/v2/sessions/312909075212468632"

    @Test(arguments: TestingSetup.allCases)
    func returnsTheDocumentedExampleByteForByte(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get(full, headers: Harness.admin)
        #expect(result.status == 200)
        #expect(result.text == Self.documentedExample)
        #expect(result.header("Content-Type") == "application/json")
        #expect(result.header("Cache-Control") == "no-store")
        #expect(result.header("Pragma") == "no-cache")
    }

    @Test(arguments: TestingSetup.allCases)
    func missingAuthorizationIs401WithoutDetails(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get(full)
        #expect(result.status == 401)
        #expect(result.text == #"{"code":16,"message":"auth header missing"}"#)
    }

    @Test(arguments: TestingSetup.allCases)
    func emptyAuthorizationCountsAsMissing(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get(full, headers: ["Authorization": ""])
        #expect(result.status == 401)
        #expect(result.text == #"{"code":16,"message":"auth header missing"}"#)
    }

    @Test(arguments: TestingSetup.allCases, ["Basic YWRtaW46cGF0", "admin-pat", "Bearer", "Token admin-pat"])
    func nonBearerHeaderIs401(setup: TestingSetup, header: String) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get(full, headers: ["Authorization": header])
        #expect(result.status == 401)
        #expect(
            result.text
                == #"{"code":16,"message":"invalid auth header (AUTH-toLo1)","details":[{"@type":"type.googleapis.com/zitadel.v1.ErrorDetail","id":"AUTH-toLo1","message":"invalid auth header"}]}"#
        )
    }

    @Test(arguments: TestingSetup.allCases, ["bearer admin-pat", "BEARER admin-pat", "Bearer admin-pat"])
    func bearerSchemeIsCaseInsensitive(setup: TestingSetup, header: String) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get(full, headers: ["Authorization": header])
        #expect(result.status == 200)
    }

    @Test(arguments: TestingSetup.allCases)
    func unknownTokenIs401(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get(full, headers: ["Authorization": "Bearer nope"])
        #expect(result.status == 401)
        #expect(
            result.text
                == #"{"code":16,"message":"Errors.Token.Invalid (AUTH-7fs1e)","details":[{"@type":"type.googleapis.com/zitadel.v1.ErrorDetail","id":"AUTH-7fs1e","message":"Errors.Token.Invalid"}]}"#
        )
    }

    @Test(arguments: TestingSetup.allCases)
    func seedWithoutTokensAcceptsNone(setup: TestingSetup) async throws {
        let mock = try Harness(setup, seeds: ["s": #"{"zitadel":{"sessions":[{"session":{"id":"1"}}]}}"#])
        defer { mock.stop() }
        let result = try await mock.get("/v2/sessions/1", headers: Harness.admin)
        #expect(result.status == 401)
        #expect(result.text.contains("AUTH-7fs1e"))
    }

    @Test(arguments: TestingSetup.allCases)
    func sessionIdOver200CharactersIs400(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get("/v2/sessions/" + String(repeating: "a", count: 201), headers: Harness.admin)
        #expect(result.status == 400)
        #expect(
            result.text
                == #"{"code":3,"message":"invalid GetSessionRequest.SessionId: value length must be between 1 and 200 runes, inclusive"}"#
        )
        // 200 runes of a multi-byte character are still within the limit.
        let atLimit = try await mock.get(
            "/v2/sessions/" + String(repeating: "%C3%BC", count: 200),
            headers: Harness.admin
        )
        #expect(atLimit.status == 404)
    }

    @Test(arguments: TestingSetup.allCases, ["sessionToken", "session_token"])
    func emptySessionTokenIs400(setup: TestingSetup, name: String) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get("\(full)?\(name)=", headers: Harness.admin)
        #expect(result.status == 400)
        #expect(
            result.text
                == #"{"code":3,"message":"invalid GetSessionRequest.SessionToken: value length must be between 1 and 500 runes, inclusive"}"#
        )
    }

    @Test(arguments: TestingSetup.allCases)
    func sessionTokenOver500CharactersIs400(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get(
            "\(full)?sessionToken=" + String(repeating: "t", count: 501),
            headers: Harness.admin
        )
        #expect(result.status == 400)
        #expect(result.text.contains("GetSessionRequest.SessionToken"))
    }

    @Test(arguments: TestingSetup.allCases)
    func tokenIsCheckedBeforeLengths(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get(
            "/v2/sessions/" + String(repeating: "a", count: 201),
            headers: ["Authorization": "Bearer nope"]
        )
        #expect(result.status == 401)
    }

    @Test(arguments: TestingSetup.allCases)
    func unknownSessionIs404(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get("/v2/sessions/nope", headers: Harness.admin)
        #expect(result.status == 404)
        #expect(
            result.text
                == #"{"code":5,"message":"Session does not exist (QUERY-SFeaa)","details":[{"@type":"type.googleapis.com/zitadel.v1.ErrorDetail","id":"QUERY-SFeaa","message":"Session does not exist"}]}"#
        )
    }

    @Test(arguments: TestingSetup.allCases)
    func wrongSessionTokenIs403EvenForAdmins(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get("\(full)?sessionToken=wrong", headers: Harness.admin)
        #expect(result.status == 403)
        #expect(
            result.text
                == #"{"code":7,"message":"Permission denied (QUERY-dsfr3)","details":[{"@type":"type.googleapis.com/zitadel.v1.ErrorDetail","id":"QUERY-dsfr3","message":"Permission denied"}]}"#
        )
    }

    @Test(arguments: TestingSetup.allCases, ["sessionToken", "session_token"])
    func rightSessionTokenIs200ForAnyValidCaller(setup: TestingSetup, name: String) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get("\(full)?\(name)=tok-full", headers: ["Authorization": "Bearer stranger-pat"])
        #expect(result.status == 200)
        #expect(result.text == Self.documentedExample)
    }

    @Test(arguments: TestingSetup.allCases)
    func strangerWithoutPermissionIs403(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get(full, headers: ["Authorization": "Bearer stranger-pat"])
        #expect(result.status == 403)
        #expect(
            result.text
                == #"{"code":7,"message":"No matching permissions found (AUTH-AWfge)","details":[{"@type":"type.googleapis.com/zitadel.v1.ErrorDetail","id":"AUTH-AWfge","message":"No matching permissions found"}]}"#
        )
    }

    @Test(
        arguments: TestingSetup.allCases,
        [("creator-pat", "creator"), ("user-pat", "checked user"), ("admin-pat", "session.read")]
    )
    func permittedCallersGetTheSession(setup: TestingSetup, row: (String, String)) async throws {
        let (token, why) = row
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get(full, headers: ["Authorization": "Bearer \(token)"])
        #expect(result.status == 200, "\(why) may read without a session token")
    }

    @Test(arguments: TestingSetup.allCases)
    func bareSessionOmitsEverythingUnset(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get("/v2/sessions/bare-1", headers: Harness.admin)
        #expect(result.status == 200)
        let session = try #require(try result.json()["session"])
        guard case .object(let members) = session else {
            Issue.record("session is not an object")
            return
        }
        #expect(members.map(\.key) == ["id", "creationDate", "changeDate", "sequence"])
        #expect(session["sequence"] == .string("1"))
        #expect(!result.text.contains("null"))
    }

    @Test(arguments: TestingSetup.allCases)
    func expiredSessionIsStill200(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get("/v2/sessions/expired-1", headers: Harness.admin)
        #expect(result.status == 200)
        guard case .string(let expiration)? = try result.json()["session"]?["expirationDate"] else {
            Issue.record("no expirationDate")
            return
        }
        let parsed = try #require(RFC3339.parse(expiration))
        #expect(parsed.micros < WallClock.nowMicros())
        #expect(
            expiration.hasSuffix("Z") && expiration.count == 27,
            "relative times go out with 6 fraction digits: \(expiration)"
        )
    }

    @Test(arguments: TestingSetup.allCases)
    func allFactorsAreSentInProtoOrder(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get("/v2/sessions/all-factors-1", headers: Harness.admin)
        #expect(result.status == 200)
        guard case .object(let factors)? = try result.json()["session"]?["factors"] else {
            Issue.record("no factors")
            return
        }
        #expect(
            factors.map(\.key) == [
                "user", "password", "webAuthN", "intent", "totp", "otpSms", "otpEmail", "recoveryCode",
            ]
        )
        #expect(factors.first { $0.key == "webAuthN" }?.value["userVerified"] == nil, "userVerified:false is omitted")
    }

    @Test(arguments: TestingSetup.allCases)
    func forcedFaultIs500(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get("/v2/sessions/boom-1", headers: Harness.admin)
        #expect(result.status == 500)
        #expect(
            result.text
                == #"{"code":13,"message":"An internal error occurred (QUERY-SAder)","details":[{"@type":"type.googleapis.com/zitadel.v1.ErrorDetail","id":"QUERY-SAder","message":"An internal error occurred"}]}"#
        )
    }

    @Test(arguments: TestingSetup.allCases)
    func orgIdHeaderIsIgnored(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get(full, headers: ["Authorization": "Bearer admin-pat", "x-zitadel-orgid": "123"])
        #expect(result.status == 200)
        #expect(result.text == Self.documentedExample)
    }

    // PATCH and DELETE are SetSession and DeleteSession (docs/zitadel.md#the-session-lifecycle).
    @Test(arguments: TestingSetup.allCases, ["POST", "PUT"])
    func otherMethodsAre405(setup: TestingSetup, method: String) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.send(method, full, headers: Harness.admin)
        #expect(result.status == 405)
        #expect(result.text == #"{"code":12,"message":"Method Not Allowed"}"#)
        #expect(result.header("Allow") == "GET, HEAD, PATCH, DELETE")
    }

    // `/v2/sessions/search` is a literal POST route; its other methods are the `{sessionId}`
    // routes with id "search", as ZITADEL's HTTP gateway routes them.
    @Test(arguments: TestingSetup.allCases)
    func searchPathWithOtherMethodsIsTheSessionIdRoute(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let notFound =
            #"{"code":5,"message":"Session does not exist (QUERY-SFeaa)","details":[{"@type":"type.googleapis.com/zitadel.v1.ErrorDetail","id":"QUERY-SFeaa","message":"Session does not exist"}]}"#
        for method in ["GET", "PATCH", "DELETE"] {
            let result = try await mock.send(
                method,
                "/v2/sessions/search",
                headers: Harness.admin,
                body: method == "PATCH" ? "{}" : nil
            )
            #expect(result.status == 404, "\(method)")
            #expect(result.text == notFound, "\(method)")
        }
        let put = try await mock.send("PUT", "/v2/sessions/search", headers: Harness.admin)
        #expect(put.status == 405)
        #expect(put.header("Allow") == "POST, GET, HEAD, PATCH, DELETE")
    }

    @Test(arguments: TestingSetup.allCases)
    func unknownPathUnderV2Is404Code5(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        for path in ["/v2/nope", "/v2/sessions/1/extra", "/v2/sessions/"] {
            let result = try await mock.get(path, headers: Harness.admin)
            #expect(result.status == 404, "\(path)")
            #expect(result.text == #"{"code":5,"message":"Not Found"}"#, "\(path)")
        }
    }
}
